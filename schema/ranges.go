package schema

import (
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// TL integer types of command fields, named in the field's `tl` tag.
// gotd encodes a TL "int" in 32 bits: a larger Go int would reach Telegram
// truncated and act on another message, so ParseCommand refuses it.
const (
	tlInt  = "int"  // int32: message ids, offsets, lengths, durations
	tlLong = "long" // int64: peer ids, query ids, document ids
	tlDate = "date" // a time.Time sent as an int32 of unix seconds
)

// checkRanges walks a decoded command body and reports the first integer (or
// date) field whose value does not fit the TL type of its `tl` tag, named
// by its JSON path: "message_ids[0]: 4294970536 is out of range (int32)".
// A unit test checks that every integer field of every command has a tag.
func checkRanges(body Body) error {
	return rangeWalk(reflect.ValueOf(body), "", "")
}

func rangeWalk(v reflect.Value, path, tl string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return rangeWalk(v.Elem(), path, tl)
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 { // bytes: base64 data
			return nil
		}
		for i := range v.Len() {
			if err := rangeWalk(v.Index(i), path+"["+strconv.Itoa(i)+"]", tl); err != nil {
				return err
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n := v.Int(); tl == tlInt && (n < math.MinInt32 || n > math.MaxInt32) {
			return invalid("%s: %d is out of range (int32)", path, n)
		}
	case reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		switch n := v.Uint(); {
		case tl == tlInt && n > math.MaxInt32:
			return invalid("%s: %d is out of range (int32)", path, n)
		case tl == tlLong && n > math.MaxInt64:
			return invalid("%s: %d is out of range (int64)", path, n)
		}
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			if s := t.Unix(); tl == tlDate && (s < 0 || s > math.MaxInt32) {
				return invalid("%s: %s is out of range (int32 unix time)", path, t.Format(time.RFC3339))
			}
			return nil
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if path != "" {
				name = path + "." + name
			}
			if err := rangeWalk(v.Field(i), name, f.Tag.Get("tl")); err != nil {
				return err
			}
		}
	}
	return nil
}
