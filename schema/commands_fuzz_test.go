package schema_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/tgnats/tgnats/schema"
)

// FuzzParseCommand: any body of any action parses to a command or to an
// INVALID_ARGUMENT / UNKNOWN_ACTION CommandError, never a panic; a command
// that parses keeps its entities inside its text and its TL ints in range.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []struct {
		action string
		body   string
	}{
		{"message.send", `{"peer":1,"text":"hi","entities":[{"type":"bold","offset":0,"length":2}]}`},
		{"message.send", `{"peer":"@durov","text":"*x*","parse_mode":"markdown","reply_to":2147483647}`},
		{"message.send", `{"peer":1,"text":"ab","entities":[{"type":"bold","offset":9223372036854775807,"length":1}]}`},
		{"message.edit", `{"peer":-1001234567890,"message_id":5,"text":"x"}`},
		{"message.delete", `{"peer":{"peer_kind":"channel","peer_id":1},"message_ids":[4294970536]}`},
		{"message.forward", `{"from_peer":-400,"to_peer":"777","message_ids":[1,2]}`},
		{"callback.answer", `{"query_id":"-9223372036854775808","cache_time":5}`},
		{"media.send", `{"peer":1,"media":{"type":"photo","data":"AA=="},"caption":"\u00e9"}`},
		{"media.send", `{"peer":1,"media":{"type":"video","object":"a/b.mp4"}}`},
		{"media.download", `{"peer":-1001234567890,"message_id":4294967296}`},
		{"media.download", `{"file_ref":"AQI","thumb":"m"}`},
		{"message.send", "{\"peer\":1,\"text\":\"\xe2\x82\",\"entities\":[{\"type\":\"bold\",\"offset\":0,\"length\":2}]}"},
		{"nope", `{}`},
	} {
		f.Add(s.action, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, action string, body []byte) {
		cmd, err := schema.ParseCommand(action, body)
		if err != nil {
			var ce *schema.CommandError
			if !errors.As(err, &ce) || (ce.Code != schema.CodeInvalidArgument && ce.Code != schema.CodeUnknownAction) || ce.Message == "" {
				t.Fatalf("ParseCommand error %#v, want an INVALID_ARGUMENT or UNKNOWN_ACTION CommandError with a message", err)
			}
			return
		}
		if cmd.Name() != action {
			t.Fatalf("action %q parsed as %q", action, cmd.Name())
		}
		var text string
		var ents []schema.Entity
		switch c := cmd.Body.(type) {
		case *schema.SendMessage:
			text, ents = c.Text, c.Entities
		case *schema.EditMessage:
			if c.Text != nil {
				text = *c.Text
			}
			ents = c.Entities
		case *schema.SendMedia:
			text, ents = c.Caption, c.Entities
		}
		n := schema.UTF16Len(text)
		for i, e := range ents {
			if e.Offset < 0 || e.Length <= 0 || e.Offset > n || e.Length > n-e.Offset {
				t.Fatalf("entity %d %+v outside the %d UTF-16 units of %q", i, e, n, text)
			}
		}
		checkInt32s(t, reflect.ValueOf(cmd))
	})
}

// checkInt32s fails on an int field tagged tl:"int" outside int32.
func checkInt32s(t *testing.T, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			checkInt32s(t, v.Elem())
		}
	case reflect.Slice:
		for i := range v.Len() {
			checkInt32s(t, v.Index(i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			fv := v.Field(i)
			if f.Tag.Get("tl") == "int" {
				ints := []reflect.Value{fv}
				if fv.Kind() == reflect.Slice {
					ints = ints[:0]
					for j := range fv.Len() {
						ints = append(ints, fv.Index(j))
					}
				}
				for _, iv := range ints {
					if n := iv.Int(); n < math.MinInt32 || n > math.MaxInt32 {
						t.Fatalf("%s = %d parsed, outside int32", f.Name, n)
					}
				}
				continue
			}
			if f.IsExported() {
				checkInt32s(t, fv)
			}
		}
	}
}

// FuzzPeerInput: any JSON value decodes to a peer or an error, never a
// panic; a peer that decodes encodes to JSON that decodes to it again.
func FuzzPeerInput(f *testing.F) {
	for _, s := range []string{`777`, `-400`, `-1001234567890`, `"@durov"`, `"-100"`, `{"peer_kind":"user","peer_id":1}`, `{"kind":"chat","id":2}`,
		`{"peer_kind":"channel","peer_id":-1}`, `null`, `"@"`, `9223372036854775807`, `-9223372036854775808`, `-1000000000000`, `1e3`, `"\u0000"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p schema.PeerInput
		if err := json.Unmarshal(b, &p); err != nil {
			return
		}
		if p.IsZero() {
			return
		}
		if p.Username == "" && (p.ID <= 0 || (p.Kind != schema.PeerUser && p.Kind != schema.PeerChat && p.Kind != schema.PeerChannel)) {
			t.Fatalf("%s decoded to %+v", b, p)
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("marshal %+v: %v", p, err)
		}
		var back schema.PeerInput
		if err := json.Unmarshal(out, &back); err != nil || back != p {
			t.Fatalf("%s → %+v → %s → %+v, %v", b, p, out, back, err)
		}
	})
}
