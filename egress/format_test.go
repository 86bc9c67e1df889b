package egress

import (
	"errors"
	"reflect"
	"testing"

	"github.com/gotd/td/tgerr"

	"github.com/tgnats/tgnats/schema"
)

func TestParseMarkdown(t *testing.T) {
	tests := []struct {
		name string
		in   string
		text string
		ents []schema.Entity
	}{
		{name: "plain", in: "hello", text: "hello"},
		{name: "bold italic code", in: "*a* _b_ `c`", text: "a b c", ents: []schema.Entity{
			{Type: "bold", Offset: 0, Length: 1}, {Type: "italic", Offset: 2, Length: 1}, {Type: "code", Offset: 4, Length: 1}}},
		{name: "link", in: "see [site](https://x.y)!", text: "see site!", ents: []schema.Entity{{Type: "text_url", Offset: 4, Length: 4, URL: "https://x.y"}}},
		{name: "utf16 offsets", in: "😀 *b*", text: "😀 b", ents: []schema.Entity{{Type: "bold", Offset: 3, Length: 1}}},
		{name: "pre with language", in: "```go\nx := 1```", text: "x := 1", ents: []schema.Entity{{Type: "pre", Offset: 0, Length: 6, Language: "go"}}},
		{name: "unclosed marker is literal", in: "2*3", text: "2*3"},
		{name: "escape", in: `\*not bold\*`, text: "*not bold*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, ents := parseMarkdown(tt.in)
			if text != tt.text || !reflect.DeepEqual(ents, tt.ents) {
				t.Fatalf("got %q %+v, want %q %+v", text, ents, tt.text, tt.ents)
			}
		})
	}
}

func TestMapError(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wantErr error // nil: transient
		retry   int
	}{
		{name: "flood", err: tgerr.New(420, "FLOOD_WAIT_12"), wantErr: schema.ErrFloodWait, retry: 12},
		{name: "peer", err: tgerr.New(400, "CHANNEL_INVALID"), wantErr: schema.ErrPeerNotFound},
		{name: "username", err: tgerr.New(400, "USERNAME_NOT_OCCUPIED"), wantErr: schema.ErrPeerNotFound},
		{name: "not modified", err: tgerr.New(400, "MESSAGE_NOT_MODIFIED"), wantErr: schema.ErrMessageNotModified},
		{name: "bad request", err: tgerr.New(400, "MESSAGE_EMPTY"), wantErr: schema.ErrInvalidArgument},
		{name: "forbidden", err: tgerr.New(403, "CHAT_WRITE_FORBIDDEN"), wantErr: schema.ErrForbidden},
		{name: "server", err: tgerr.New(500, "RPC_CALL_FAIL"), wantErr: schema.ErrTelegramError},
		{name: "network", err: errors.New("connection reset")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mapError(tt.err)
			if tt.wantErr == nil {
				if got != nil {
					t.Fatalf("got %v, want transient", got)
				}
				return
			}
			if !errors.Is(got, tt.wantErr) || got.RetryAfter != tt.retry || got.Message == "" {
				t.Fatalf("got %+v, want %v retry %d", got, tt.wantErr, tt.retry)
			}
		})
	}
}

func TestFormatHTML(t *testing.T) {
	text, ents, err := format("<b>bold</b> and <a href=\"https://x.y\">link</a>", schema.ParseModeHTML, nil, func(int64) int64 { return 0 })
	if err != nil {
		t.Fatal(err)
	}
	if text != "bold and link" || len(ents) != 2 {
		t.Fatalf("got %q %+v", text, ents)
	}
}
