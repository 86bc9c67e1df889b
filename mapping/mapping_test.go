package mapping_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/mapping"
	"github.com/tgnats/tgnats/schema"
)

func TestPeerOf(t *testing.T) {
	tests := []struct {
		name    string
		in      tg.PeerClass
		want    schema.PeerRef
		wantErr error
	}{
		{name: "user", in: &tg.PeerUser{UserID: 1}, want: schema.PeerRef{Kind: schema.PeerUser, ID: 1}},
		{name: "chat", in: &tg.PeerChat{ChatID: 2}, want: schema.PeerRef{Kind: schema.PeerChat, ID: 2}},
		{name: "channel", in: &tg.PeerChannel{ChannelID: 3}, want: schema.PeerRef{Kind: schema.PeerChannel, ID: 3}},
		{name: "nil", in: nil, wantErr: mapping.ErrInvalidPeer},
		{name: "typed nil", in: (*tg.PeerUser)(nil), wantErr: mapping.ErrInvalidPeer},
		{name: "zero id", in: &tg.PeerChannel{}, wantErr: mapping.ErrInvalidPeer},
		{name: "negative id", in: &tg.PeerChat{ChatID: -5}, wantErr: mapping.ErrInvalidPeer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mapping.PeerOf(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("PeerOf error = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("PeerOf = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUpdateErrorsAndSkips(t *testing.T) {
	tests := []struct {
		name    string
		update  tg.UpdateClass
		wantErr error
	}{
		{name: "not a message update", update: &tg.UpdateUserTyping{UserID: 1, Action: &tg.SendMessageTypingAction{}}, wantErr: mapping.ErrIgnored},
		{name: "link preview of no message remembered", update: &tg.UpdateWebPage{Webpage: &tg.WebPageEmpty{ID: 5}}},
		{name: "link preview still pending", update: &tg.UpdateWebPage{Webpage: &tg.WebPagePending{ID: 5}}},
		{name: "message empty", update: &tg.UpdateNewMessage{Message: &tg.MessageEmpty{ID: 5}}},
		{name: "edit of message empty", update: &tg.UpdateEditChannelMessage{Message: &tg.MessageEmpty{ID: 5}}},
		{name: "nothing deleted", update: &tg.UpdateDeleteMessages{}},
		{name: "nil update", update: nil, wantErr: mapping.ErrMalformed},
		{name: "typed nil update", update: (*tg.UpdateNewMessage)(nil), wantErr: mapping.ErrMalformed},
		{name: "nil message", update: &tg.UpdateNewMessage{}, wantErr: mapping.ErrMalformed},
		{name: "typed nil message", update: &tg.UpdateEditMessage{Message: (*tg.Message)(nil)}, wantErr: mapping.ErrMalformed},
		{name: "no peer", update: &tg.UpdateNewMessage{Message: &tg.Message{ID: 1, Date: date}}, wantErr: mapping.ErrMalformed},
		{name: "service without peer", update: &tg.UpdateNewMessage{Message: &tg.MessageService{ID: 1}}, wantErr: mapping.ErrMalformed},
		{name: "channel deletion without channel", update: &tg.UpdateDeleteChannelMessages{Messages: []int{1}}, wantErr: mapping.ErrMalformed},
		{name: "callback query without peer", update: &tg.UpdateBotCallbackQuery{QueryID: 1, UserID: alice, MsgID: 1}, wantErr: mapping.ErrMalformed},
		{name: "callback query without user", update: &tg.UpdateBotCallbackQuery{QueryID: 1, Peer: &tg.PeerUser{UserID: alice}, MsgID: 1}, wantErr: mapping.ErrMalformed},
		{name: "inline callback query without user", update: &tg.UpdateInlineBotCallbackQuery{QueryID: 1, MsgID: &tg.InputBotInlineMessageID{DCID: 2, ID: 3, AccessHash: 4}}, wantErr: mapping.ErrMalformed},
		{name: "inline callback query without message", update: &tg.UpdateInlineBotCallbackQuery{QueryID: 1, UserID: alice}, wantErr: mapping.ErrMalformed},
		{name: "inline query without user", update: &tg.UpdateBotInlineQuery{QueryID: 1, Query: "x"}, wantErr: mapping.ErrMalformed},
		{name: "inline send without user", update: &tg.UpdateBotInlineSend{ID: "r"}, wantErr: mapping.ErrMalformed},
		{name: "pre-checkout query without user", update: &tg.UpdateBotPrecheckoutQuery{QueryID: 1, Currency: "EUR"}, wantErr: mapping.ErrMalformed},
		{name: "shipping query without user", update: &tg.UpdateBotShippingQuery{QueryID: 1}, wantErr: mapping.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := mapping.Update(account, tt.update, tg.Entities{}, date, nil)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Update error = %v, want %v", err, tt.wantErr)
			}
			if len(evs) != 0 {
				t.Errorf("got %d events, want none", len(evs))
			}
		})
	}
}

func TestMessage(t *testing.T) {
	ev, ok, err := mapping.Message(account, &tg.Message{ID: 5, PeerID: &tg.PeerChat{ChatID: family}, FromID: &tg.PeerUser{UserID: alice}, Date: date, EditDate: date + 9}, entities())
	if err != nil || !ok {
		t.Fatalf("Message = %v, %v", ok, err)
	}
	// A message from a difference is a creation even when already edited;
	// its edit date is reported but does not version the id.
	if ev.Action != schema.ActionCreated || ev.ID != "main:chat:400:5:message.created" || !ev.Time.Equal(time.Unix(date, 0)) {
		t.Errorf("event = %+v", ev)
	}
	if body := ev.Data.(*schema.Message); body.EditDate == nil || body.EditDate.Unix() != date+9 {
		t.Errorf("edit_date = %v", body.EditDate)
	}
	if _, ok, err := mapping.Message(account, &tg.MessageEmpty{ID: 5}, tg.Entities{}); ok || err != nil {
		t.Errorf("MessageEmpty: ok %v err %v, want false, nil", ok, err)
	}
}

// The same Telegram change must map to the same id however it arrives; a
// different change must not.
func TestEventIDs(t *testing.T) {
	first := func(u tg.UpdateClass) schema.Event {
		t.Helper()
		evs, err := mapping.Update(account, u, entities(), date, nil)
		if err != nil || len(evs) != 1 {
			t.Fatalf("Update = %v, %v", evs, err)
		}
		return evs[0]
	}
	msg := func(editDate int) *tg.Message {
		return &tg.Message{ID: 7, PeerID: &tg.PeerChannel{ChannelID: news}, Post: true, Date: date, EditDate: editDate, Message: "x"}
	}
	created := first(&tg.UpdateNewChannelMessage{Message: msg(0)})
	again := first(&tg.UpdateNewChannelMessage{Message: msg(0), Pts: 99})
	edit1 := first(&tg.UpdateEditChannelMessage{Message: msg(date + 10)})
	edit1again := first(&tg.UpdateEditChannelMessage{Message: msg(date + 10), Pts: 100})
	edit2 := first(&tg.UpdateEditChannelMessage{Message: msg(date + 20)})
	if created.ID != again.ID {
		t.Errorf("redelivered creation changed id: %s vs %s", created.ID, again.ID)
	}
	if edit1.ID != edit1again.ID {
		t.Errorf("redelivered edit changed id: %s vs %s", edit1.ID, edit1again.ID)
	}
	ids := []string{created.ID, edit1.ID, edit2.ID}
	if len(slices.Compact(slices.Clone(ids))) != 3 {
		t.Errorf("distinct changes share an id: %v", ids)
	}
	if !edit2.Time.Equal(time.Unix(date+20, 0)) {
		t.Errorf("edit time = %v, want the edit date", edit2.Time)
	}
}

// Each press is its own callback.query event; a redelivered press is not.
func TestCallbackQuery(t *testing.T) {
	press := func(queryID int64, data []byte, game string) schema.Event {
		t.Helper()
		u := &tg.UpdateBotCallbackQuery{QueryID: queryID, UserID: alice, Peer: &tg.PeerChat{ChatID: family}, MsgID: 9,
			ChatInstance: 5, Data: data, GameShortName: game}
		u.SetFlags()
		evs, err := mapping.Update(account, u, entities(), date, nil)
		if err != nil || len(evs) != 1 {
			t.Fatalf("Update = %v, %v", evs, err)
		}
		assertValidCloudEvent(t, &evs[0])
		return evs[0]
	}
	first, again, second := press(1, []byte("a"), ""), press(1, []byte("a"), ""), press(2, []byte("a"), "")
	if first.ID != again.ID || first.ID == second.ID {
		t.Errorf("ids: first %s, redelivered %s, second press %s", first.ID, again.ID, second.ID)
	}
	body := first.Data.(*schema.CallbackQuery)
	if first.Peer != (schema.PeerRef{Kind: schema.PeerChat, ID: family}) || first.MessageID != 9 || body.Chat.Title != "Family" ||
		body.From.ID != alice || body.From.FirstName != "Alice" || body.QueryID != "1" || body.DataText != "a" {
		t.Errorf("event %+v, body %+v", first, body)
	}
	game := press(3, nil, "chess").Data.(*schema.CallbackQuery)
	if game.GameShortName != "chess" || game.Data != nil || game.DataText != "" {
		t.Errorf("game press body = %+v", game)
	}
}

// A short update and the full update it abbreviates map to the same event.
func TestShortMatchesFull(t *testing.T) {
	short := mapping.ShortMessage(&tg.UpdateShortMessage{ID: 3, UserID: alice, Date: date, Message: "hey", Pts: 5, PtsCount: 1}, selfID)
	full := &tg.UpdateNewMessage{Message: &tg.Message{ID: 3, PeerID: &tg.PeerUser{UserID: alice}, Date: date, Message: "hey"}}
	a, errA := mapping.Update(account, short, entities(), date, nil)
	b, errB := mapping.Update(account, full, entities(), date, nil)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("short and full differ:\n%+v\n%+v", a[0].Data, b[0].Data)
	}
	if short.Pts != 5 || short.PtsCount != 1 {
		t.Errorf("pts not carried: %+v", short)
	}
	if mapping.ShortMessage(nil, selfID) != nil || mapping.ShortChatMessage(nil) != nil {
		t.Error("nil short updates must expand to nil")
	}
	// Outgoing without a known self id: no from_id, and no sender unless the
	// entities name the self user.
	out := mapping.ShortMessage(&tg.UpdateShortMessage{ID: 4, Out: true, UserID: alice, Date: date}, 0)
	evs, err := mapping.Update(account, out, tg.Entities{}, date, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := evs[0].Data.(*schema.Message).Sender; s != nil {
		t.Errorf("sender = %+v, want none", s)
	}
}

func TestSentMessage(t *testing.T) {
	peer := schema.PeerRef{Kind: schema.PeerChannel, ID: gophers}
	ev := mapping.SentMessage(account, peer, "sent text", &tg.UpdateShortSentMessage{
		Out: true, ID: 44, Date: date,
		Entities: []tg.MessageEntityClass{&tg.MessageEntityItalic{Offset: 0, Length: 4}},
		Media:    &tg.MessageMediaWebPage{Webpage: &tg.WebPage{URL: "https://go.dev", Title: "Go"}},
	})
	if ev == nil {
		t.Fatal("nil event")
	}
	assertValidCloudEvent(t, ev)
	body := ev.Data.(*schema.Message)
	if ev.ID != "main:channel:500:44:message.created" || !body.Out || body.Text != "sent text" ||
		len(body.Entities) != 1 || body.Media == nil || body.Media.URL != "https://go.dev" || body.Media.Title != "Go" {
		t.Errorf("event %+v body %+v", ev, body)
	}
	for _, bad := range []struct {
		peer schema.PeerRef
		u    *tg.UpdateShortSentMessage
	}{
		{peer, nil},
		{schema.PeerRef{Kind: schema.PeerUnknown}, &tg.UpdateShortSentMessage{ID: 1}},
		{schema.PeerRef{Kind: schema.PeerUser}, &tg.UpdateShortSentMessage{ID: 1}},
	} {
		if ev := mapping.SentMessage(account, bad.peer, "x", bad.u); ev != nil {
			t.Errorf("SentMessage(%v, %v) = %+v, want nil", bad.peer, bad.u, ev)
		}
	}
}

func mapOne(t *testing.T, m tg.MessageClass) *schema.Message {
	t.Helper()
	ev, ok, err := mapping.Message(account, m, entities())
	if err != nil || !ok {
		t.Fatalf("Message = %v, %v", ok, err)
	}
	assertValidCloudEvent(t, ev)
	return ev.Data.(*schema.Message)
}

func TestMedia(t *testing.T) {
	doc := func(attrs ...tg.DocumentAttributeClass) *tg.Document {
		return &tg.Document{ID: 1, AccessHash: 2, DCID: 2, MimeType: "application/octet-stream", Size: 10, Attributes: attrs}
	}
	tests := []struct {
		name  string
		media tg.MessageMediaClass
		want  schema.Media // FileRef is checked separately
	}{
		{name: "document", media: &tg.MessageMediaDocument{Document: doc(&tg.DocumentAttributeFilename{FileName: "a.pdf"})},
			want: schema.Media{Type: "document", MimeType: "application/octet-stream", Size: 10, FileName: "a.pdf"}},
		{name: "voice", media: &tg.MessageMediaDocument{Voice: true, Document: doc(&tg.DocumentAttributeAudio{Voice: true, Duration: 3})},
			want: schema.Media{Type: "voice", MimeType: "application/octet-stream", Size: 10, Duration: 3}},
		{name: "audio", media: &tg.MessageMediaDocument{Document: doc(&tg.DocumentAttributeAudio{Duration: 200, Title: "Song"})},
			want: schema.Media{Type: "audio", MimeType: "application/octet-stream", Size: 10, Duration: 200}},
		{name: "video note", media: &tg.MessageMediaDocument{Document: doc(&tg.DocumentAttributeVideo{RoundMessage: true, W: 240, H: 240, Duration: 5})},
			want: schema.Media{Type: "video_note", MimeType: "application/octet-stream", Size: 10, Width: 240, Height: 240, Duration: 5}},
		{name: "animation", media: &tg.MessageMediaDocument{Document: doc(&tg.DocumentAttributeAnimated{}, &tg.DocumentAttributeVideo{W: 100, H: 50, Duration: 1.5})},
			want: schema.Media{Type: "animation", MimeType: "application/octet-stream", Size: 10, Width: 100, Height: 50, Duration: 1.5}},
		{name: "video sticker", media: &tg.MessageMediaDocument{Spoiler: true, Document: doc(&tg.DocumentAttributeSticker{Alt: "x"}, &tg.DocumentAttributeVideo{W: 512, H: 512}, &tg.DocumentAttributeImageSize{W: 1, H: 1})},
			want: schema.Media{Type: "sticker", MimeType: "application/octet-stream", Size: 10, Width: 512, Height: 512, Spoiler: true}},
		{name: "geo", media: &tg.MessageMediaGeo{Geo: &tg.GeoPoint{Lat: 52.5, Long: 13.4}},
			want: schema.Media{Type: "geo", Latitude: 52.5, Longitude: 13.4}},
		{name: "geo empty", media: &tg.MessageMediaGeo{Geo: &tg.GeoPointEmpty{}}, want: schema.Media{Type: "geo"}},
		{name: "live location", media: &tg.MessageMediaGeoLive{Geo: &tg.GeoPoint{Lat: 1, Long: 2}, Period: 900},
			want: schema.Media{Type: "geo_live", Latitude: 1, Longitude: 2, Duration: 900}},
		{name: "contact", media: &tg.MessageMediaContact{PhoneNumber: "+100", FirstName: "Bob", LastName: "B", UserID: 9},
			want: schema.Media{Type: "contact", PhoneNumber: "+100", FirstName: "Bob", LastName: "B", UserID: 9}},
		{name: "poll", media: &tg.MessageMediaPoll{Poll: tg.Poll{ID: -7, Question: "Tabs?"}}, want: schema.Media{Type: "poll", Question: "Tabs?", PollID: "-7"}},
		{name: "webpage pending", media: &tg.MessageMediaWebPage{Webpage: &tg.WebPagePending{ID: 9, URL: "https://x"}}, want: schema.Media{Type: "webpage", URL: "https://x", WebPageID: "9", Pending: true}},
		{name: "dice", media: &tg.MessageMediaDice{Value: 6, Emoticon: "🎲"}, want: schema.Media{Type: "dice", Value: 6, Emoticon: "🎲"}},
		{name: "venue", media: &tg.MessageMediaVenue{Geo: &tg.GeoPoint{Lat: 3, Long: 4}, Title: "Cafe", Address: "Main St"},
			want: schema.Media{Type: "venue", Latitude: 3, Longitude: 4, Title: "Cafe", Address: "Main St"}},
		{name: "expired photo", media: &tg.MessageMediaPhoto{Photo: &tg.PhotoEmpty{ID: 1}}, want: schema.Media{Type: "photo"}},
		{name: "deleted document", media: &tg.MessageMediaDocument{Document: &tg.DocumentEmpty{ID: 1}}, want: schema.Media{Type: "document"}},
		{name: "server unsupported", media: &tg.MessageMediaUnsupported{}, want: schema.Media{Type: "unsupported", Constructor: "messageMediaUnsupported"}},
		{name: "game", media: &tg.MessageMediaGame{}, want: schema.Media{Type: "unsupported", Constructor: "messageMediaGame"}},
		{name: "story", media: &tg.MessageMediaStory{Peer: &tg.PeerUser{UserID: 1}, ID: 2}, want: schema.Media{Type: "unsupported", Constructor: "messageMediaStory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := mapOne(t, &tg.Message{ID: 1, PeerID: &tg.PeerUser{UserID: alice}, Date: date, Media: tt.media})
			if body.Media == nil {
				t.Fatal("media dropped")
			}
			got := *body.Media
			if got.FileRef != "" {
				if _, err := mapping.ParseFileRef(got.FileRef); err != nil {
					t.Errorf("file_ref %q does not parse: %v", got.FileRef, err)
				}
				got.FileRef = ""
				// The data centre of the file (doc's DCID) is checked here too.
				if got.DCID != 2 {
					t.Errorf("dc_id = %d, want 2", got.DCID)
				}
				got.DCID = 0
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("media = %+v\nwant    %+v", got, tt.want)
			}
		})
	}
	if body := mapOne(t, &tg.Message{ID: 1, PeerID: &tg.PeerUser{UserID: alice}, Date: date, Media: &tg.MessageMediaEmpty{}}); body.Media != nil {
		t.Errorf("messageMediaEmpty mapped to %+v, want no media", body.Media)
	}
}

func TestEntities(t *testing.T) {
	in := []tg.MessageEntityClass{
		&tg.MessageEntityMention{}, &tg.MessageEntityHashtag{}, &tg.MessageEntityBotCommand{}, &tg.MessageEntityURL{},
		&tg.MessageEntityEmail{}, &tg.MessageEntityBold{}, &tg.MessageEntityItalic{}, &tg.MessageEntityCode{},
		&tg.MessageEntityPre{Language: "go"}, &tg.MessageEntityTextURL{URL: "https://x"}, &tg.MessageEntityMentionName{UserID: 5},
		&tg.InputMessageEntityMentionName{UserID: &tg.InputUser{UserID: 6}}, &tg.MessageEntityPhone{}, &tg.MessageEntityCashtag{},
		&tg.MessageEntityUnderline{}, &tg.MessageEntityStrike{}, &tg.MessageEntityBankCard{}, &tg.MessageEntitySpoiler{},
		&tg.MessageEntityCustomEmoji{DocumentID: 7}, &tg.MessageEntityBlockquote{}, &tg.MessageEntityUnknown{Offset: 1, Length: 2},
		nil, (*tg.MessageEntityBold)(nil),
	}
	body := mapOne(t, &tg.Message{ID: 1, PeerID: &tg.PeerUser{UserID: alice}, Date: date, Entities: in})
	want := []schema.Entity{
		{Type: "mention"}, {Type: "hashtag"}, {Type: "bot_command"}, {Type: "url"},
		{Type: "email"}, {Type: "bold"}, {Type: "italic"}, {Type: "code"},
		{Type: "pre", Language: "go"}, {Type: "text_url", URL: "https://x"}, {Type: "mention_name", UserID: 5},
		{Type: "mention_name", UserID: 6}, {Type: "phone_number"}, {Type: "cashtag"},
		{Type: "underline"}, {Type: "strikethrough"}, {Type: "bank_card"}, {Type: "spoiler"},
		{Type: "custom_emoji", EmojiID: 7}, {Type: "blockquote"}, {Type: "unsupported", Offset: 1, Length: 2, Constructor: "messageEntityUnknown"},
	}
	if !reflect.DeepEqual(body.Entities, want) {
		t.Errorf("entities =\n%+v\nwant\n%+v", body.Entities, want)
	}
}

func TestServiceActions(t *testing.T) {
	tests := []struct {
		name   string
		action tg.MessageActionClass
		want   schema.ServiceAction
	}{
		{name: "add user", action: &tg.MessageActionChatAddUser{Users: []int64{1, 2}}, want: schema.ServiceAction{Type: "chat_add_user", UserIDs: []int64{1, 2}}},
		{name: "delete user", action: &tg.MessageActionChatDeleteUser{UserID: 3}, want: schema.ServiceAction{Type: "chat_delete_user", UserIDs: []int64{3}}},
		{name: "joined by link", action: &tg.MessageActionChatJoinedByLink{InviterID: 4}, want: schema.ServiceAction{Type: "chat_joined_by_link", InviterID: 4}},
		{name: "edit title", action: &tg.MessageActionChatEditTitle{Title: "New"}, want: schema.ServiceAction{Type: "chat_edit_title", Title: "New"}},
		{name: "channel create", action: &tg.MessageActionChannelCreate{Title: "C"}, want: schema.ServiceAction{Type: "channel_create", Title: "C"}},
		{name: "migrate to", action: &tg.MessageActionChatMigrateTo{ChannelID: 9}, want: schema.ServiceAction{Type: "chat_migrate_to", ChannelID: 9}},
		{name: "migrate from", action: &tg.MessageActionChannelMigrateFrom{Title: "G", ChatID: 8}, want: schema.ServiceAction{Type: "channel_migrate_from", Title: "G", ChatID: 8}},
		{name: "custom", action: &tg.MessageActionCustomAction{Message: "m"}, want: schema.ServiceAction{Type: "custom_action", Message: "m"}},
		{name: "topic create", action: &tg.MessageActionTopicCreate{Title: "T"}, want: schema.ServiceAction{Type: "topic_create", Title: "T"}},
		{name: "empty", action: &tg.MessageActionEmpty{}, want: schema.ServiceAction{Type: "unsupported", Constructor: "messageActionEmpty"}},
		{name: "phone call", action: &tg.MessageActionPhoneCall{CallID: 1}, want: schema.ServiceAction{Type: "unsupported", Constructor: "messageActionPhoneCall"}},
		{name: "nil", action: nil, want: schema.ServiceAction{Type: "unsupported"}},
		{name: "typed nil", action: (*tg.MessageActionChatCreate)(nil), want: schema.ServiceAction{Type: "unsupported"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := mapOne(t, &tg.MessageService{ID: 1, PeerID: &tg.PeerChat{ChatID: family}, FromID: &tg.PeerUser{UserID: alice}, Date: date, Action: tt.action})
			if body.Action == nil || !reflect.DeepEqual(*body.Action, tt.want) {
				t.Errorf("action = %+v, want %+v", body.Action, tt.want)
			}
		})
	}
}

// Hand-built and malformed structs may hold typed nils anywhere: mapping must
// neither panic nor drop the message.
func TestNilHeavy(t *testing.T) {
	peer := &tg.PeerChannel{ChannelID: gophers}
	tests := []struct {
		name string
		msg  tg.MessageClass
		ent  tg.Entities
	}{
		{name: "nil entity maps", msg: &tg.Message{ID: 1, PeerID: peer, Date: date}, ent: tg.Entities{}},
		{name: "nil entity values", msg: &tg.Message{ID: 1, PeerID: &tg.PeerUser{UserID: alice}, FromID: &tg.PeerChat{ChatID: family}, Date: date},
			ent: tg.Entities{Users: map[int64]*tg.User{alice: nil}, Chats: map[int64]*tg.Chat{family: nil}, Channels: map[int64]*tg.Channel{gophers: nil}}},
		{name: "typed nil everywhere", msg: &tg.Message{
			ID: 1, PeerID: peer, Date: date,
			FromID:   (*tg.PeerUser)(nil),
			ReplyTo:  (*tg.MessageReplyHeader)(nil),
			Media:    (*tg.MessageMediaPhoto)(nil),
			FwdFrom:  tg.MessageFwdHeader{Date: date, FromID: (*tg.PeerChannel)(nil)},
			Entities: []tg.MessageEntityClass{nil, (*tg.MessageEntityTextURL)(nil)},
		}},
		{name: "nil inside media", msg: &tg.Message{ID: 1, PeerID: peer, Date: date, Media: &tg.MessageMediaPhoto{Photo: &tg.Photo{Sizes: []tg.PhotoSizeClass{nil, (*tg.PhotoSize)(nil), (*tg.PhotoSizeProgressive)(nil), (*tg.PhotoCachedSize)(nil)}}}}},
		{name: "nil document attrs", msg: &tg.Message{ID: 1, PeerID: peer, Date: date, Media: &tg.MessageMediaDocument{Document: &tg.Document{Attributes: []tg.DocumentAttributeClass{nil, (*tg.DocumentAttributeVideo)(nil), (*tg.DocumentAttributeAudio)(nil), (*tg.DocumentAttributeFilename)(nil), (*tg.DocumentAttributeImageSize)(nil), (*tg.DocumentAttributeSticker)(nil)}}}}},
		{name: "nil nested media", msg: &tg.Message{ID: 1, PeerID: peer, Date: date, Media: &tg.MessageMediaWebPage{Webpage: (*tg.WebPage)(nil)}}},
		{name: "nil geo", msg: &tg.Message{ID: 1, PeerID: peer, Date: date, Media: &tg.MessageMediaVenue{Geo: nil}}},
		{name: "nil doc", msg: &tg.Message{ID: 1, PeerID: peer, Date: date, Media: &tg.MessageMediaDocument{Document: (*tg.Document)(nil)}}},
		{name: "nil story reply", msg: &tg.Message{ID: 1, PeerID: peer, Date: date, ReplyTo: (*tg.MessageReplyStoryHeader)(nil)}},
		{name: "input mention nil user", msg: &tg.Message{ID: 1, PeerID: peer, Date: date, Entities: []tg.MessageEntityClass{&tg.InputMessageEntityMentionName{UserID: (*tg.InputUser)(nil)}}}},
		{name: "service nil action", msg: &tg.MessageService{ID: 1, PeerID: peer, Date: date, Action: nil, ReplyTo: (*tg.MessageReplyHeader)(nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, ok, err := mapping.Message(account, tt.msg, tt.ent)
			if err != nil || !ok {
				t.Fatalf("Message = %v, %v", ok, err)
			}
			assertValidCloudEvent(t, ev)
		})
	}
}

func TestUnsupportedParts(t *testing.T) {
	ev, _, err := mapping.Message(account, &tg.Message{
		ID: 1, PeerID: &tg.PeerUser{UserID: alice}, Date: date,
		Media:    &tg.MessageMediaInvoice{Title: "x"},
		Entities: []tg.MessageEntityClass{&tg.MessageEntityBold{}, &tg.MessageEntityUnknown{}},
	}, tg.Entities{})
	if err != nil {
		t.Fatal(err)
	}
	want := []mapping.Part{{What: "entity", Constructor: "messageEntityUnknown"}, {What: "media", Constructor: "messageMediaInvoice"}}
	if got := mapping.UnsupportedParts(ev); !reflect.DeepEqual(got, want) {
		t.Errorf("UnsupportedParts = %+v, want %+v", got, want)
	}
	svc, _, _ := mapping.Message(account, &tg.MessageService{ID: 2, PeerID: &tg.PeerUser{UserID: alice}, Date: date, Action: &tg.MessageActionGiveawayLaunch{}}, tg.Entities{})
	if got := mapping.UnsupportedParts(svc); len(got) != 1 || got[0] != (mapping.Part{What: "action", Constructor: "messageActionGiveawayLaunch"}) {
		t.Errorf("UnsupportedParts(service) = %+v", got)
	}
	plain, _, _ := mapping.Message(account, &tg.Message{ID: 3, PeerID: &tg.PeerUser{UserID: alice}, Date: date}, tg.Entities{})
	if got := mapping.UnsupportedParts(plain); got != nil {
		t.Errorf("UnsupportedParts(plain) = %+v, want nil", got)
	}
	if mapping.UnsupportedParts(nil) != nil {
		t.Error("UnsupportedParts(nil) != nil")
	}
}

func TestFileRefRoundTrip(t *testing.T) {
	refs := []mapping.FileRef{
		{Kind: mapping.FilePhoto, DC: 2, ID: 777, AccessHash: -888, FileReference: []byte{0, 1, 255}, ThumbSize: "y"},
		{Kind: mapping.FileDocument, DC: 5, ID: -1, AccessHash: 1 << 62},
	}
	for _, r := range refs {
		s := r.String()
		if bytes.ContainsAny([]byte(s), "+/=") {
			t.Errorf("%q is not unpadded base64url", s)
		}
		got, err := mapping.ParseFileRef(s)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("round trip %+v -> %q -> %+v", r, s, got)
		}
	}
}

func TestParseFileRefErrors(t *testing.T) {
	valid := mapping.FileRef{Kind: mapping.FileDocument, DC: 1, ID: 1, AccessHash: 1, FileReference: []byte("r")}.String()
	tests := []struct {
		name    string
		in      string
		wantErr error
	}{
		{name: "valid", in: valid},
		{name: "empty", in: "", wantErr: mapping.ErrInvalidFileRef},
		{name: "not base64", in: "!!!", wantErr: mapping.ErrInvalidFileRef},
		{name: "padded", in: valid + "=", wantErr: mapping.ErrInvalidFileRef},
		{name: "truncated", in: valid[:len(valid)-4], wantErr: mapping.ErrInvalidFileRef},
		{name: "trailing bytes", in: valid + "AA", wantErr: mapping.ErrInvalidFileRef},
		{name: "unknown version", in: "CQI", wantErr: mapping.ErrInvalidFileRef},
		{name: "unknown kind", in: "AQk", wantErr: mapping.ErrInvalidFileRef},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := mapping.ParseFileRef(tt.in); !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseFileRef(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
		})
	}
}

func FuzzParseFileRef(f *testing.F) {
	f.Add(mapping.FileRef{Kind: mapping.FilePhoto, DC: 2, ID: 7, AccessHash: 8, FileReference: []byte{1}, ThumbSize: "x"}.String())
	f.Add("AQ")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := mapping.ParseFileRef(s)
		if err != nil {
			return
		}
		if again, err := mapping.ParseFileRef(r.String()); err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("re-encoding %+v does not round trip: %+v, %v", r, again, err)
		}
	})
}

// FuzzMessage builds messages from fuzzed scalars around the shapes that
// carry optional parts; mapping must never panic and always yield an event
// that encodes.
func FuzzMessage(f *testing.F) {
	f.Add(int64(5), 1, 1, date, "text", true, uint8(0))
	f.Add(int64(-1), 0, 0, 0, "", false, uint8(7))
	f.Fuzz(func(t *testing.T, peerID int64, kind, msgID, when int, text string, out bool, shape uint8) {
		peers := []tg.PeerClass{&tg.PeerUser{UserID: peerID}, &tg.PeerChat{ChatID: peerID}, &tg.PeerChannel{ChannelID: peerID}, nil}
		m := &tg.Message{ID: msgID, Out: out, PeerID: peers[uint(kind)%uint(len(peers))], Date: when, Message: text}
		switch shape % 6 {
		case 1:
			m.Media = &tg.MessageMediaDocument{Document: &tg.Document{ID: peerID, Attributes: []tg.DocumentAttributeClass{&tg.DocumentAttributeVideo{}, nil}}}
		case 2:
			m.ReplyTo = &tg.MessageReplyHeader{ReplyToPeerID: peers[uint(shape)%uint(len(peers))], ReplyToMsgID: msgID}
		case 3:
			m.FwdFrom = tg.MessageFwdHeader{Date: when, FromID: peers[uint(shape)%uint(len(peers))]}
		case 4:
			m.Entities = []tg.MessageEntityClass{&tg.MessageEntityPre{Offset: msgID, Length: kind, Language: text}, nil}
		case 5:
			m.Media = &tg.MessageMediaPhoto{Photo: &tg.Photo{Sizes: []tg.PhotoSizeClass{&tg.PhotoSizeProgressive{W: kind, H: msgID}}}}
		}
		ev, ok, err := mapping.Message(account, m, tg.Entities{})
		if err != nil {
			if !errors.Is(err, mapping.ErrMalformed) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if !ok {
			t.Fatal("regular message not mapped")
		}
		if when != 0 {
			if _, err := (schema.Encoder{}).Encode(ev); err != nil {
				t.Fatalf("mapped event does not encode: %v", err)
			}
		}
		if _, err := json.Marshal(ev.Data); err != nil {
			t.Fatal(err)
		}
	})
}

func BenchmarkMapAndEncode(b *testing.B) {
	ent := entities()
	u := &tg.UpdateNewChannelMessage{Message: &tg.Message{
		ID: 20, FromID: &tg.PeerUser{UserID: alice}, PeerID: &tg.PeerChannel{ChannelID: gophers}, Date: date,
		Message:  "see https://go.dev for the details",
		Entities: []tg.MessageEntityClass{&tg.MessageEntityURL{Offset: 4, Length: 14}},
		ReplyTo:  &tg.MessageReplyHeader{ReplyToMsgID: 19},
	}}
	enc := schema.Encoder{}
	b.ReportAllocs()
	for b.Loop() {
		evs, err := mapping.Update(account, u, ent, date, nil)
		if err != nil || len(evs) != 1 {
			b.Fatal(evs, err)
		}
		if _, err := enc.Encode(&evs[0]); err != nil {
			b.Fatal(err)
		}
	}
}
