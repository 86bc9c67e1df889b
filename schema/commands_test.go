package schema_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/schemacheck"
	"github.com/tgnats/tgnats/schema"
)

func TestParseCommand(t *testing.T) {
	long := strings.Repeat("a", schema.MaxTextLength+1)
	// 2048 emoji are 4096 UTF-16 units: exactly at the limit.
	emoji := strings.Repeat("😀", schema.MaxTextLength/2)
	ids := make([]string, schema.MaxMessageIDs+1)
	for i := range ids {
		ids[i] = "1"
	}
	tests := []struct {
		name    string
		action  string
		body    string
		want    schema.Body
		wantErr error
		wantMsg string // substring of the error message
	}{
		{name: "send with object peer", action: "message.send", body: `{"peer":{"peer_kind":"channel","peer_id":123},"text":"hi"}`,
			want: &schema.SendMessage{Peer: schema.PeerInput{Kind: schema.PeerChannel, ID: 123}, Text: "hi"}},
		{name: "send with bot api channel id", action: "message.send", body: `{"peer":-1001234567890,"text":"hi"}`,
			want: &schema.SendMessage{Peer: schema.PeerInput{Kind: schema.PeerChannel, ID: 1234567890}, Text: "hi"}},
		{name: "send with bot api chat id", action: "message.send", body: `{"peer":-400,"text":"hi"}`,
			want: &schema.SendMessage{Peer: schema.PeerInput{Kind: schema.PeerChat, ID: 400}, Text: "hi"}},
		{name: "send with user id as string", action: "message.send", body: `{"peer":"777","text":"hi"}`,
			want: &schema.SendMessage{Peer: schema.PeerInput{Kind: schema.PeerUser, ID: 777}, Text: "hi"}},
		{name: "send with username", action: "message.send", body: `{"peer":"@durov","text":"hi","silent":true}`,
			want: &schema.SendMessage{Peer: schema.PeerInput{Username: "durov"}, Text: "hi", Silent: true}},
		{name: "send at utf16 limit", action: "message.send", body: `{"peer":1,"text":"` + emoji + `"}`,
			want: &schema.SendMessage{Peer: schema.PeerInput{Kind: schema.PeerUser, ID: 1}, Text: emoji}},
		{name: "edit markup only", action: "message.edit", body: `{"peer":1,"message_id":5,"reply_markup":{"remove_keyboard":true}}`,
			want: &schema.EditMessage{Peer: schema.PeerInput{Kind: schema.PeerUser, ID: 1}, MessageID: 5, ReplyMarkup: &schema.ReplyMarkup{RemoveKeyboard: true}}},
		{name: "forward", action: "message.forward", body: `{"from_peer":-400,"to_peer":"@chan_name","message_ids":[1,2]}`,
			want: &schema.ForwardMessages{FromPeer: schema.PeerInput{Kind: schema.PeerChat, ID: 400}, ToPeer: schema.PeerInput{Username: "chan_name"}, MessageIDs: []int{1, 2}}},
		{name: "callback answer", action: "callback.answer", body: `{"query_id":"-9223372036854775808","text":"ok"}`,
			want: &schema.AnswerCallback{QueryID: "-9223372036854775808", Text: "ok"}},
		{name: "chat action", action: "chat.action", body: `{"peer":1,"action":"typing"}`,
			want: &schema.ChatAction{Peer: schema.PeerInput{Kind: schema.PeerUser, ID: 1}, Activity: "typing"}},

		{name: "unknown action", action: "message.sned", body: `{}`, wantErr: schema.ErrUnknownAction, wantMsg: `unknown action "message.sned"`},
		{name: "empty body", action: "message.send", body: ``, wantErr: schema.ErrInvalidArgument, wantMsg: "body: empty"},
		{name: "not json", action: "message.send", body: `{peer:1}`, wantErr: schema.ErrInvalidArgument, wantMsg: "not valid JSON"},
		{name: "array body", action: "message.send", body: `[1]`, wantErr: schema.ErrInvalidArgument, wantMsg: "want a JSON object"},
		{name: "trailing data", action: "message.send", body: `{"peer":1,"text":"a"} {}`, wantErr: schema.ErrInvalidArgument, wantMsg: "data after"},
		{name: "missing peer", action: "message.send", body: `{"text":"hi"}`, wantErr: schema.ErrInvalidArgument, wantMsg: "peer: required"},
		{name: "missing text", action: "message.send", body: `{"peer":1}`, wantErr: schema.ErrInvalidArgument, wantMsg: "text: required"},
		{name: "text too long", action: "message.send", body: `{"peer":1,"text":"` + long + `"}`, wantErr: schema.ErrInvalidArgument, wantMsg: "text: longer than 4096 characters"},
		{name: "text too long in utf16", action: "message.send", body: `{"peer":1,"text":"` + emoji + `a"}`, wantErr: schema.ErrInvalidArgument, wantMsg: "text: longer than 4096"},
		{name: "unknown field", action: "message.send", body: `{"peer":1,"text":"a","silnet":true}`, wantErr: schema.ErrInvalidArgument, wantMsg: "silnet: unknown field"},
		{name: "wrong type", action: "message.send", body: `{"peer":1,"text":5}`, wantErr: schema.ErrInvalidArgument, wantMsg: "text: got number, want a string"},
		{name: "bad username", action: "message.send", body: `{"peer":"@a b","text":"a"}`, wantErr: schema.ErrInvalidArgument, wantMsg: "peer: \"@a b\" is not a valid username"},
		{name: "bad peer kind", action: "message.send", body: `{"peer":{"peer_kind":"group","peer_id":1},"text":"a"}`, wantErr: schema.ErrInvalidArgument, wantMsg: `peer: peer_kind "group"`},
		{name: "zero peer id", action: "message.pin", body: `{"peer":0,"message_id":1}`, wantErr: schema.ErrInvalidArgument, wantMsg: "peer: 0 is not a Bot API chat id"},
		{name: "bad to_peer named", action: "message.forward", body: `{"from_peer":1,"to_peer":true,"message_ids":[1]}`, wantErr: schema.ErrInvalidArgument, wantMsg: "to_peer:"},
		{name: "bad parse mode", action: "message.send", body: `{"peer":1,"text":"a","parse_mode":"md"}`, wantErr: schema.ErrInvalidArgument, wantMsg: "parse_mode"},
		{name: "entities with parse mode", action: "message.send", body: `{"peer":1,"text":"a","parse_mode":"html","entities":[{"type":"bold","offset":0,"length":1}]}`, wantErr: schema.ErrInvalidArgument, wantMsg: "cannot be combined"},
		{name: "entity outside text", action: "message.send", body: `{"peer":1,"text":"ab","entities":[{"type":"bold","offset":1,"length":2}]}`, wantErr: schema.ErrInvalidArgument, wantMsg: "entities[0]: offset 1 length 2"},
		{name: "entity unknown type", action: "message.send", body: `{"peer":1,"text":"ab","entities":[{"type":"blink","offset":0,"length":1}]}`, wantErr: schema.ErrInvalidArgument, wantMsg: `entities[0].type: unknown type "blink"`},
		{name: "inline button without action", action: "message.send", body: `{"peer":1,"text":"a","reply_markup":{"inline_keyboard":[[{"text":"x"}]]}}`, wantErr: schema.ErrInvalidArgument, wantMsg: "inline_keyboard[0][0]: set exactly one"},
		{name: "edit nothing", action: "message.edit", body: `{"peer":1,"message_id":3}`, wantErr: schema.ErrInvalidArgument, wantMsg: "text: required unless reply_markup"},
		{name: "edit no message id", action: "message.edit", body: `{"peer":1,"text":"x"}`, wantErr: schema.ErrInvalidArgument, wantMsg: "message_id: required"},
		{name: "delete none", action: "message.delete", body: `{"peer":1,"message_ids":[]}`, wantErr: schema.ErrInvalidArgument, wantMsg: "message_ids: required"},
		{name: "delete too many", action: "message.delete", body: `{"peer":1,"message_ids":[` + strings.Join(ids, ",") + `]}`, wantErr: schema.ErrInvalidArgument, wantMsg: "101 ids, at most 100"},
		{name: "delete negative id", action: "message.delete", body: `{"peer":1,"message_ids":[3,-1]}`, wantErr: schema.ErrInvalidArgument, wantMsg: "message_ids[1]"},
		{name: "bad chat action", action: "chat.action", body: `{"peer":1,"action":"dancing"}`, wantErr: schema.ErrInvalidArgument, wantMsg: `action: "dancing"`},
		{name: "read without max id", action: "read.mark", body: `{"peer":1}`, wantErr: schema.ErrInvalidArgument, wantMsg: "max_id: required"},
		{name: "callback bad id", action: "callback.answer", body: `{"query_id":"abc"}`, wantErr: schema.ErrInvalidArgument, wantMsg: "query_id"},
		{name: "media without source", action: "media.send", body: `{"peer":1,"media":{"type":"photo"}}`, wantErr: schema.ErrInvalidArgument, wantMsg: "exactly one of file_ref, data"},
		{name: "media bad type", action: "media.send", body: `{"peer":1,"media":{"type":"gif","data":"AA=="}}`, wantErr: schema.ErrInvalidArgument, wantMsg: `media.type: "gif"`},
		{name: "caption too long", action: "media.send", body: `{"peer":1,"media":{"type":"photo","data":"AA=="},"caption":"` + strings.Repeat("b", 1025) + `"}`, wantErr: schema.ErrInvalidArgument, wantMsg: "caption: longer than 1024"},
		{name: "media bad base64", action: "media.send", body: `{"peer":1,"media":{"type":"photo","data":"!!"}}`, wantErr: schema.ErrInvalidArgument},
		{name: "media from object", action: "media.send", body: `{"peer":1,"media":{"type":"video","object":"clips/a.mp4"},"caption":"c"}`,
			want: &schema.SendMedia{Peer: schema.PeerInput{Kind: schema.PeerUser, ID: 1}, Media: schema.MediaInput{Type: "video", Object: "clips/a.mp4"}, Caption: "c"}},
		{name: "media object and data", action: "media.send", body: `{"peer":1,"media":{"type":"photo","object":"a","data":"AA=="}}`, wantErr: schema.ErrInvalidArgument, wantMsg: "exactly one of file_ref, data, object"},
		{name: "download by message", action: "media.download", body: `{"peer":{"kind":"channel","id":5},"message_id":9,"thumb":"m"}`,
			want: &schema.DownloadMedia{Peer: schema.PeerInput{Kind: schema.PeerChannel, ID: 5}, MessageID: 9, Thumb: "m"}},
		{name: "download by file_ref", action: "media.download", body: `{"file_ref":"AQI"}`, want: &schema.DownloadMedia{FileRef: "AQI"}},
		{name: "download without message id", action: "media.download", body: `{"peer":1}`, wantErr: schema.ErrInvalidArgument, wantMsg: "message_id: required"},
		{name: "download with both", action: "media.download", body: `{"peer":1,"message_id":2,"file_ref":"AQI"}`, wantErr: schema.ErrInvalidArgument, wantMsg: "either peer and message_id, or file_ref"},
		{name: "download of nothing", action: "media.download", body: `{}`, wantErr: schema.ErrInvalidArgument, wantMsg: "either peer and message_id, or file_ref"},
		{name: "download bad thumb", action: "media.download", body: `{"file_ref":"AQI","thumb":"XL"}`, wantErr: schema.ErrInvalidArgument, wantMsg: "thumb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := schema.ParseCommand(tt.action, []byte(tt.body))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("err = %q, want it to contain %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCommand: %v", err)
			}
			if !reflect.DeepEqual(got.Body, tt.want) {
				t.Fatalf("got %#v\nwant %#v", got, tt.want)
			}
			if got.Name() != tt.action {
				t.Errorf("Name() = %q", got.Name())
			}
		})
	}
}

func TestEveryCommandParses(t *testing.T) {
	bodies := map[string]string{
		schema.CommandMessageSend:    `{"peer":1,"text":"a"}`,
		schema.CommandMessageEdit:    `{"peer":1,"message_id":1,"text":"b"}`,
		schema.CommandMessageDelete:  `{"peer":1,"message_ids":[1]}`,
		schema.CommandMessageForward: `{"from_peer":1,"to_peer":2,"message_ids":[1]}`,
		schema.CommandMessagePin:     `{"peer":1,"message_id":1}`,
		schema.CommandMessageUnpin:   `{"peer":1,"message_id":1}`,
		schema.CommandReactionSend:   `{"peer":1,"message_id":1,"reaction":""}`,
		schema.CommandChatAction:     `{"peer":1,"action":"cancel"}`,
		schema.CommandReadMark:       `{"peer":1,"max_id":9}`,
		schema.CommandCallbackAnswer: `{"query_id":"5"}`,
		schema.CommandMediaSend:      `{"peer":1,"media":{"type":"document","file_ref":"x"}}`,
		schema.CommandMediaDownload:  `{"peer":1,"message_id":2}`,
		// Answers to bot queries.
		schema.CommandInlineAnswer:      `{"query_id":"5","results":[{"id":"a","title":"A","text":"a"}]}`,
		schema.CommandPrecheckoutAnswer: `{"query_id":"5","ok":true}`,
		schema.CommandShippingAnswer:    `{"query_id":"5","error":"no shipping to Mars"}`,
	}
	for _, action := range schema.CommandNames() {
		cmd, err := schema.ParseCommand(action, []byte(bodies[action]))
		if err != nil {
			t.Errorf("%s: %v", action, err)
			continue
		}
		if cmd.Name() != action {
			t.Errorf("%s: Name() = %q", action, cmd.Name())
		}
	}
}

// TestDownloadByFileRefRoundTrip: a media.download body made in Go (as
// egress.Client sends it) without a peer parses back: the zero peer is
// left out, not sent as {"kind":"","id":0}.
func TestDownloadByFileRefRoundTrip(t *testing.T) {
	in := &schema.DownloadMedia{FileRef: "AQI", Thumb: "m"}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := schema.ParseCommand(schema.CommandMediaDownload, b)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if !reflect.DeepEqual(cmd.Body, in) || len(cmd.Peers()) != 0 {
		t.Errorf("%s parsed as %+v with peers %v", b, cmd.Body, cmd.Peers())
	}
}

func TestPeerInputRoundTrip(t *testing.T) {
	for _, in := range []schema.PeerInput{{Kind: schema.PeerChannel, ID: 5}, {Username: "someone"}} {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var out schema.PeerInput
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if out != in {
			t.Errorf("%s: got %+v, want %+v", b, out, in)
		}
	}
}

func TestPeerFromBotAPIID(t *testing.T) {
	for _, ref := range []schema.PeerRef{{Kind: schema.PeerUser, ID: 7}, {Kind: schema.PeerChat, ID: 400}, {Kind: schema.PeerChannel, ID: 1234567890}} {
		got, err := schema.PeerFromBotAPIID(ref.BotAPIID())
		if err != nil || got != ref {
			t.Errorf("PeerFromBotAPIID(%d) = %v, %v; want %v", ref.BotAPIID(), got, err, ref)
		}
	}
}

func TestCommandEvent(t *testing.T) {
	at := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	res := &schema.CommandResult{OK: true, CommandID: "k1", Command: schema.CommandMessageSend, Time: at, Result: &schema.CommandOutput{MessageID: 42}}
	peer := schema.PeerRef{Kind: schema.PeerChannel, ID: 9}
	ev := schema.CommandEvent("main", res, peer)
	if ev.ID != "main:command:k1:completed" || ev.Kind != "command" || ev.Action != "completed" || ev.MessageID != 42 {
		t.Fatalf("event = %+v", ev)
	}
	if got := ev.Subject("tg"); got != "tg.main.events.command.completed.channel.9" {
		t.Errorf("subject = %s", got)
	}
	if _, err := schema.CloudEvent(&ev); err != nil {
		t.Errorf("CloudEvent: %v", err)
	}
	failed := schema.CommandEvent("main", &schema.CommandResult{CommandID: "k2", Command: "x", Time: at, Error: schema.NewCommandError(schema.CodeTimeout, "late")}, schema.PeerRef{})
	if failed.ID != "main:command:k2:failed" || failed.Peer.Kind != schema.PeerUnknown {
		t.Errorf("failed event = %+v", failed)
	}
	if _, err := schema.CloudEvent(&failed); err != nil {
		t.Errorf("CloudEvent: %v", err)
	}
}

func TestCommandResultsConform(t *testing.T) {
	docs := loadSchemas(t)
	at := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	peer := schema.PeerRef{Kind: schema.PeerChannel, ID: 9}
	for name, res := range map[string]*schema.CommandResult{
		"command.completed.v1.json": {OK: true, CommandID: "k", Command: "message.send", Peer: &peer, Time: at, Duplicate: true,
			Result: &schema.CommandOutput{MessageID: 1, Date: &at, MessageIDs: []int{1, 2}}},
		"command.failed.v1.json": {CommandID: "k", Command: "message.send", Time: at,
			Error: &schema.CommandError{Code: schema.CodeFloodWait, Message: "wait", RetryAfter: 3, TelegramError: "FLOOD_WAIT"}},
	} {
		b, _ := json.Marshal(res)
		var v any
		_ = json.Unmarshal(b, &v)
		if errs := schemacheck.Conform(docs[name], docs[name], v, "$"); len(errs) > 0 {
			t.Errorf("%s: %v", name, errs)
		}
	}
}

// TestCommandPeers: the chats a command touches, the acted-on chat first.
func TestCommandPeers(t *testing.T) {
	user := func(id int64) schema.PeerInput { return schema.PeerInput{Kind: schema.PeerUser, ID: id} }
	for _, tt := range []struct {
		name, body string
		want       []schema.PeerInput
	}{
		{schema.CommandMessageSend, `{"peer":1,"text":"a"}`, []schema.PeerInput{user(1)}},
		{schema.CommandMessageForward, `{"from_peer":1,"to_peer":2,"message_ids":[1]}`, []schema.PeerInput{user(2), user(1)}},
		{schema.CommandCallbackAnswer, `{"query_id":"5"}`, nil},
	} {
		cmd, err := schema.ParseCommand(tt.name, []byte(tt.body))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := cmd.Peers(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Peers() = %v, want %v", tt.name, got, tt.want)
		}
	}
	if got := (schema.Command{}).Peers(); got != nil || (schema.Command{}).Name() != "" {
		t.Errorf("zero Command: Peers() = %v, Name() = %q", got, (schema.Command{}).Name())
	}
}
