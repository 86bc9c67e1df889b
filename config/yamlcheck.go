package config

import (
	"fmt"
	"reflect"

	"gopkg.in/yaml.v3"
)

// checkYAML walks a parsed file alongside the Config type and reports, by
// their dotted paths and lines, the keys that name no field (wrapping
// ErrUnknownKey, with the closest known key as a hint) and the values of
// the wrong type (wrapping ErrInvalid), in the same words as errors from
// the environment. yaml.v3's own errors name Go types instead.
func checkYAML(root *yaml.Node) []error {
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	var errs []error
	walkYAML(root, reflect.TypeOf(Config{}), "", &errs)
	return errs
}

func walkYAML(n *yaml.Node, t reflect.Type, path string, errs *[]error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case n.Kind == yaml.AliasNode:
		walkYAML(n.Alias, t, path, errs)
	case t.Kind() == reflect.Struct && t != durationType && n.Kind == yaml.MappingNode:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			f, ok := fields[key.Value]
			if !ok {
				msg := fmt.Sprintf("line %d: unknown key %q", key.Line, dotted(path, key.Value))
				if near := closest(key.Value, fields); near != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", dotted(path, near))
				}
				*errs = append(*errs, &lineError{msg: msg, kind: ErrUnknownKey})
				continue
			}
			walkYAML(val, f.Type, dotted(path, key.Value), errs)
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct && n.Kind == yaml.SequenceNode:
		for i, item := range n.Content {
			walkYAML(item, t.Elem(), fmt.Sprintf("%s.%d", path, i), errs)
		}
	default:
		v := reflect.New(t)
		if err := n.Decode(v.Interface()); err != nil {
			*errs = append(*errs, &lineError{msg: fmt.Sprintf("line %d: %s: %s", n.Line, path, wantedKind(t, n.Value)), kind: ErrInvalid})
		}
	}
}

// lineError is a problem at a line of the file; errors.Is finds its kind.
type lineError struct {
	msg  string
	kind error
}

func (e *lineError) Error() string { return e.msg }
func (e *lineError) Unwrap() error { return e.kind }

// wantedKind says what a value of type t must look like.
func wantedKind(t reflect.Type, got string) string {
	switch {
	case t == durationType:
		return fmt.Sprintf("not a duration: %q (use Go syntax: 500ms, 15m, 2h)", got)
	case t.Kind() == reflect.Bool:
		return fmt.Sprintf("not true or false: %q", got)
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return fmt.Sprintf("not an integer: %q", got)
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return fmt.Sprintf("not a number: %q", got)
	case t.Kind() == reflect.Slice:
		return "not a list"
	case t.Kind() == reflect.Struct:
		return "not a mapping of keys"
	}
	return fmt.Sprintf("not a %s: %q", t.Kind(), got)
}

// yamlFields maps a struct's YAML keys to its fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if name := yamlName(f); name != "" && name != "-" && f.IsExported() {
			out[name] = f
		}
	}
	return out
}

// dotted appends key to a dotted path.
func dotted(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// closest returns the known key nearest to key, when it is near enough to
// be a typo.
func closest(key string, fields map[string]reflect.StructField) string {
	best, bestD := "", 3
	for name := range fields {
		if d := editDistance(key, name); d < bestD || (d == bestD && name < best) {
			best, bestD = name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
