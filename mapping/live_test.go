package mapping_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/mapping"
	"github.com/tgnats/tgnats/schema"
)

// TestLiveGolden maps each ephemeral update to its live signal and
// compares subject, headers and body with testdata/live_*.json (the
// schema package checks those bodies against their JSON Schemas).
func TestLiveGolden(t *testing.T) {
	at := time.Unix(date, 0).UTC()
	for _, tc := range []struct {
		name    string
		update  tg.UpdateClass
		subject string
	}{
		{"live_typing_private", &tg.UpdateUserTyping{UserID: alice, Action: &tg.SendMessageTypingAction{}}, "tg.main.live.typing.typing.user.200"},
		{"live_typing_group", &tg.UpdateChatUserTyping{ChatID: family, FromID: &tg.PeerUser{UserID: alice}, Action: &tg.SendMessageUploadPhotoAction{Progress: 40}}, "tg.main.live.typing.upload_photo.chat.400"},
		{"live_typing_topic", &tg.UpdateChannelUserTyping{ChannelID: gophers, TopMsgID: 3, FromID: &tg.PeerUser{UserID: alice}, Action: &tg.SendMessageCancelAction{}}, "tg.main.live.typing.cancel.channel.500"},
		{"live_status_online", &tg.UpdateUserStatus{UserID: alice, Status: &tg.UserStatusOnline{Expires: date + 300}}, "tg.main.live.status.online.user.200"},
		{"live_status_offline", &tg.UpdateUserStatus{UserID: alice, Status: &tg.UserStatusOffline{WasOnline: date - 60}}, "tg.main.live.status.offline.user.200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig, ok := mapping.Live(account, tc.update, entities(), at)
			if !ok {
				t.Fatal("no live signal")
			}
			msg, err := sig.Msg("")
			if err != nil {
				t.Fatal(err)
			}
			if msg.Subject != tc.subject {
				t.Errorf("subject %s, want %s", msg.Subject, tc.subject)
			}
			var data any
			if err := json.Unmarshal(msg.Data, &data); err != nil {
				t.Fatal(err)
			}
			doc := map[string]any{"subject": msg.Subject, "data": data}
			for _, h := range []string{"id", "type", "dataschema", "time", "subject", "partitionkey"} {
				doc[h] = msg.Header.Get(schema.HeaderCEPrefix + h)
			}
			doc["subject"] = msg.Subject
			got, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			compareGolden(t, tc.name, append(got, '\n'))
		})
	}
	// Every other update has no live signal.
	if _, ok := mapping.Live(account, &tg.UpdateNewMessage{}, entities(), at); ok {
		t.Error("updateNewMessage mapped to a live signal")
	}
}
