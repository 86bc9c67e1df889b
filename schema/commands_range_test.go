package schema_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tgnats/tgnats/schema"
)

// TestParseCommandIntegerRanges: gotd writes TL "int" fields as 32 bits, so
// a larger number would act on another message (4294970536 is 3240 on the
// wire). Every such field is refused, naming it.
func TestParseCommandIntegerRanges(t *testing.T) {
	tests := []struct {
		name, action, body, wantMsg string
	}{
		{"delete id above int32", "message.delete", `{"peer":1,"message_ids":[4294970536]}`, "message_ids[0]: 4294970536 is out of range (int32)"},
		{"delete second id above int32", "message.delete", `{"peer":1,"message_ids":[1,2147483648]}`, "message_ids[1]: 2147483648 is out of range (int32)"},
		{"edit id above int32", "message.edit", `{"peer":1,"message_id":4294970535,"text":"x"}`, "message_id: 4294970535 is out of range (int32)"},
		{"reply_to above int32", "message.send", `{"peer":1,"text":"x","reply_to":4294967297}`, "reply_to: 4294967297 is out of range (int32)"},
		{"top_msg_id above int32", "message.send", `{"peer":1,"text":"x","top_msg_id":4294967297}`, "top_msg_id: 4294967297 is out of range (int32)"},
		{"entity offset overflow", "message.send", `{"peer":1,"text":"ab","entities":[{"type":"bold","offset":9223372036854775807,"length":1}]}`, "entities[0].offset: 9223372036854775807 is out of range (int32)"},
		{"entity length above int32", "message.send", `{"peer":1,"text":"ab","entities":[{"type":"bold","offset":0,"length":4294967297}]}`, "entities[0].length: 4294967297 is out of range (int32)"},
		{"forward ids", "message.forward", `{"from_peer":1,"to_peer":2,"message_ids":[4294967296]}`, "message_ids[0]: 4294967296 is out of range (int32)"},
		{"pin", "message.pin", `{"peer":1,"message_id":4294967296}`, "message_id: 4294967296 is out of range (int32)"},
		{"unpin", "message.unpin", `{"peer":1,"message_id":-4294967296}`, "message_id: -4294967296 is out of range (int32)"},
		{"reaction", "reaction.send", `{"peer":1,"message_id":4294967296,"reaction":"x"}`, "message_id: 4294967296 is out of range (int32)"},
		{"read max_id", "read.mark", `{"peer":1,"max_id":4294967296}`, "max_id: 4294967296 is out of range (int32)"},
		{"cache_time", "callback.answer", `{"query_id":"1","cache_time":4294967296}`, "cache_time: 4294967296 is out of range (int32)"},
		{"media reply_to", "media.send", `{"peer":1,"media":{"type":"photo","data":"AA=="},"reply_to":4294967296}`, "reply_to: 4294967296 is out of range (int32)"},
		{"media caption entity", "media.send", `{"peer":1,"media":{"type":"photo","data":"AA=="},"caption":"ab","entities":[{"type":"bold","offset":2147483648,"length":1}]}`, "entities[0].offset: 2147483648 is out of range (int32)"},
		{"schedule_date past 2038", "message.send", `{"peer":1,"text":"x","schedule_date":"2100-01-01T00:00:00Z"}`, "schedule_date: 2100-01-01T00:00:00Z is out of range (int32 unix time)"},
		{"schedule_date before 1970", "message.send", `{"peer":1,"text":"x","schedule_date":"1900-01-01T00:00:00Z"}`, "schedule_date: 1900-01-01T00:00:00Z is out of range (int32 unix time)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := schema.ParseCommand(tt.action, []byte(tt.body))
			if !errors.Is(err, schema.ErrInvalidArgument) {
				t.Fatalf("ParseCommand(%s) error = %v, want INVALID_ARGUMENT", tt.body, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("ParseCommand(%s) error = %q, want it to contain %q", tt.body, err, tt.wantMsg)
			}
		})
	}
}

// TestParseCommandIntegerBounds: the largest int32 and the largest int64
// peer id still parse.
func TestParseCommandIntegerBounds(t *testing.T) {
	for _, c := range []struct{ action, body string }{
		{"message.delete", `{"peer":1,"message_ids":[2147483647]}`},
		{"message.send", `{"peer":9223372036854775807,"text":"x","reply_to":2147483647}`},
		{"message.send", `{"peer":1,"text":"x","schedule_date":"2038-01-19T03:14:07Z"}`},
		{"message.send", `{"peer":1,"text":"ab","entities":[{"type":"mention_name","offset":0,"length":2,"user_id":9223372036854775807}]}`},
	} {
		if _, err := schema.ParseCommand(c.action, []byte(c.body)); err != nil {
			t.Errorf("ParseCommand(%s, %s) = %v, want no error", c.action, c.body, err)
		}
	}
}

// TestCommandIntegersDeclareTLType: every integer (and time) field reachable
// from a command body says which TL type it goes out as, so a new field
// cannot escape the range check.
func TestCommandIntegersDeclareTLType(t *testing.T) {
	var walk func(path string, typ reflect.Type, seen map[reflect.Type]bool)
	walk = func(path string, typ reflect.Type, seen map[reflect.Type]bool) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] || typ == reflect.TypeFor[schema.PeerInput]() {
			return
		}
		seen[typ] = true
		for i := range typ.NumField() {
			f := typ.Field(i)
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			switch {
			case ft.Kind() >= reflect.Int && ft.Kind() <= reflect.Uint64 && ft.Kind() != reflect.Uint8:
				if f.Tag.Get("tl") == "" {
					t.Errorf("%s.%s (%s): no tl tag", path, f.Name, f.Type)
				}
			case ft.Kind() == reflect.Struct && ft.PkgPath() == "time":
				if f.Tag.Get("tl") == "" {
					t.Errorf("%s.%s (%s): no tl tag", path, f.Name, f.Type)
				}
			default:
				walk(path+"."+f.Name, f.Type, seen)
			}
		}
	}
	for _, action := range schema.CommandNames() {
		cmd, _ := schema.NewCommand(action)
		walk(action, reflect.TypeOf(cmd.Body), map[reflect.Type]bool{})
	}
}
