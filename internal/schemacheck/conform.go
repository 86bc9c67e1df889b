// Package schemacheck validates JSON bodies against tgnats' embedded JSON
// Schemas (schema.Schemas) with a small structural checker, for tests: the
// schema package's own tests and the end-to-end check that every event the
// simulator's traffic makes the connector publish fits its schema.
package schemacheck

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tgnats/tgnats/schema"
)

// Body checks data, the JSON body of an event or command, against the
// embedded schema of that name ("message.created.v1.json"; a dataschema
// URI works too). The error lists every violation.
func Body(name string, data []byte) error {
	name = strings.TrimPrefix(name, schema.SchemaBaseURI)
	raw, ok := schema.Schemas()[name]
	if !ok {
		return fmt.Errorf("schemacheck: no embedded schema %q", name)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("schemacheck: schema %s: %w", name, err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("schemacheck: body: %w", err)
	}
	if errs := Conform(doc, doc, v, "$"); len(errs) > 0 {
		return fmt.Errorf("schemacheck: body does not conform to %s:\n%s", name, strings.Join(errs, "\n"))
	}
	return nil
}

// Conform is a small structural JSON Schema checker: $ref, type, enum,
// const, pattern, format date-time, properties, required and items. It is
// enough to prove that bodies tgnats emits fit the documents it publishes.
func Conform(root, node map[string]any, v any, path string) []string {
	if ref, ok := node["$ref"].(string); ok {
		name, _ := strings.CutPrefix(ref, "#/$defs/")
		defs, _ := root["$defs"].(map[string]any)
		target, ok := defs[name].(map[string]any)
		if !ok {
			return []string{path + ": unresolvable $ref " + ref}
		}
		node = target
	}
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	if want, ok := node["type"].(string); ok && !jsonTypeIs(v, want) {
		fail("%v (%T) is not %s", v, v, want)
		return errs
	}
	if enum, ok := node["enum"].([]any); ok && !slices.Contains(enum, v) {
		fail("%v not in %v", v, enum)
	}
	if c, ok := node["const"]; ok && c != v {
		fail("%v != const %v", v, c)
	}
	if s, ok := v.(string); ok {
		if p, ok := node["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(s) {
			fail("%q does not match %s", s, p)
		}
		if node["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
				fail("%q is not date-time", s)
			}
		}
	}
	if obj, ok := v.(map[string]any); ok {
		if req, ok := node["required"].([]any); ok {
			for _, r := range req {
				if _, ok := obj[r.(string)]; !ok {
					fail("missing required %q", r)
				}
			}
		}
		props, _ := node["properties"].(map[string]any)
		for k, pv := range obj {
			if ps, ok := props[k].(map[string]any); ok {
				errs = append(errs, Conform(root, ps, pv, path+"."+k)...)
			}
		}
	}
	if arr, ok := v.([]any); ok {
		if items, ok := node["items"].(map[string]any); ok {
			for i, iv := range arr {
				errs = append(errs, Conform(root, items, iv, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	return errs
}

func jsonTypeIs(v any, want string) bool {
	switch want {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "null":
		return v == nil
	}
	return false
}
