package egress

import (
	"reflect"
	"testing"

	"github.com/tgnats/tgnats/schema"
)

// TestEveryCommandIsServed: each command of schema's registry has a
// handler taking its body type and a JSON Schema, and no handler serves a
// command the registry does not know.
func TestEveryCommandIsServed(t *testing.T) {
	schemas := schema.Schemas()
	names := schema.CommandNames()
	for _, name := range names {
		cmd, err := schema.NewCommand(name)
		if err != nil {
			t.Fatalf("NewCommand(%q): %v", name, err)
		}
		h, ok := handlers[name]
		switch {
		case !ok:
			t.Errorf("%s: no egress handler", name)
		case h.body != reflect.TypeOf(cmd.Body):
			t.Errorf("%s: handler takes %v, the body is %T", name, h.body, cmd.Body)
		}
		if _, ok := schemas[schema.CommandSchemaName(name)]; !ok {
			t.Errorf("%s: no JSON Schema %s", name, schema.CommandSchemaName(name))
		}
	}
	if len(handlers) != len(names) {
		t.Errorf("%d handlers for %d commands", len(handlers), len(names))
	}
}
