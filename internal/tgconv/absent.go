package tgconv

import "reflect"

// Absent reports whether v is nil or a typed nil pointer, as TL interface
// fields of hand-built or malformed structs may be.
func Absent(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}
