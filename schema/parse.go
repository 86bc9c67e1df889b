package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
)

// ParseCommand decodes and validates the body of the command name: every
// integer must fit the TL type Telegram gives its field (int32 for message
// ids, offsets, lengths and durations; int64 for peer ids), then Validate.
// Errors are *CommandError with code UNKNOWN_ACTION or INVALID_ARGUMENT and
// a message that names the offending field. Unknown fields are rejected, so
// a typo does not silently drop an option.
func ParseCommand(name string, body []byte) (Command, error) {
	cmd, err := NewCommand(name)
	if err != nil {
		return Command{}, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return Command{}, invalid("body: empty, want a JSON object")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(cmd.Body); err != nil {
		return Command{}, jsonError(err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return Command{}, invalid("body: data after the JSON object")
	}
	if err := checkRanges(cmd.Body); err != nil {
		return Command{}, err
	}
	if err := cmd.Body.Validate(); err != nil {
		return Command{}, err
	}
	return cmd, nil
}

// jsonError turns a decoding error into a message naming the field.
func jsonError(err error) *CommandError {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		return invalid("body: not valid JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typ) && typ.Type == reflect.TypeFor[PeerInput]():
		return invalid("%s: %s", typ.Field, typ.Value)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return invalid("body: want a JSON object, got %s", typ.Value)
		}
		return invalid("%s: got %s, want %s", typ.Field, typ.Value, jsonKind(typ.Type.Kind().String()))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("body: truncated JSON")
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return invalid("%s: unknown field", strings.Trim(f, `"`))
	}
	return invalid("body: %s", strings.TrimPrefix(msg, "json: "))
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "an integer"
	case k == "string":
		return "a string"
	case k == "bool":
		return "true or false"
	case k == "slice":
		return "an array"
	case k == "struct", k == "ptr":
		return "an object"
	}
	return k
}
