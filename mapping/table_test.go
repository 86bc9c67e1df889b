package mapping

import (
	"errors"
	"strings"
	"testing"

	"github.com/gotd/td/tg"
)

// updateConstructors returns a zero value of every constructor of
// tg.UpdateClass in the generated tg package, from gotd's registry.
func updateConstructors(t *testing.T) []tg.UpdateClass {
	t.Helper()
	ctors := tg.TypesConstructorMap()
	var all []tg.UpdateClass
	for _, id := range tg.ClassConstructorsMap()[tg.UpdateClassName] {
		newObj, ok := ctors[id]
		if !ok {
			t.Fatalf("constructor %#x of %s has no Go type in gotd's registry", id, tg.UpdateClassName)
		}
		u, ok := newObj().(tg.UpdateClass)
		if !ok {
			t.Fatalf("constructor %#x (%T) is not a tg.UpdateClass", id, newObj())
		}
		all = append(all, u)
	}
	if len(all) < 100 {
		t.Fatalf("gotd's registry lists only %d update constructors: is ClassConstructorsMap still the source?", len(all))
	}
	return all
}

// A gotd upgrade that adds an update constructor must not drop it
// silently: every constructor is classified (mapped or ignored with a
// reason) and the table names nothing else.
func TestEveryUpdateIsClassified(t *testing.T) {
	all := updateConstructors(t)
	known := map[uint32]bool{}
	for _, u := range all {
		known[u.TypeID()] = true
		r, ok := updateTable[u.TypeID()]
		if !ok {
			t.Errorf("%s (%T) is not classified: add it to updateRows, mapped or ignored with a reason", u.TypeName(), u)
			continue
		}
		if r.name != u.TypeName() {
			t.Errorf("row %#x is named %q, want %q", r.id, r.name, u.TypeName())
		}
		if r.mapper == nil && strings.TrimSpace(r.reason) == "" {
			t.Errorf("%s is ignored without a reason", r.name)
		}
	}
	seen := map[uint32]bool{}
	for _, r := range updateRows() {
		if seen[r.id] {
			t.Errorf("%s has two rows", r.name)
		}
		seen[r.id] = true
		if !known[r.id] {
			t.Errorf("%s has a row but is not a constructor of %s", r.name, tg.UpdateClassName)
		}
	}
}

// Update never answers (nil, nil) for an ignored constructor, and never
// panics on the zero value of any constructor.
func TestUpdateOfEveryConstructor(t *testing.T) {
	for _, u := range updateConstructors(t) {
		r, ok := updateTable[u.TypeID()]
		if !ok {
			continue // TestEveryUpdateIsClassified reports it
		}
		evs, err := Update("main", u, tg.Entities{}, 1700000000, nil)
		var ign *IgnoredError
		switch {
		case r.mapper == nil:
			if !errors.As(err, &ign) || !errors.Is(err, ErrIgnored) || ign.Type != u.TypeName() || ign.Reason != r.reason || len(evs) != 0 {
				t.Errorf("Update(%s) = %d events, %v; want ErrIgnored with its reason", u.TypeName(), len(evs), err)
			}
		case errors.Is(err, ErrIgnored), errors.Is(err, ErrUnclassified):
			t.Errorf("Update(%s), a mapped constructor: %v", u.TypeName(), err)
		}
	}
}

func TestUpdateOfAnUnclassifiedConstructor(t *testing.T) {
	u := &tg.UpdateUserTyping{UserID: 1, Action: &tg.SendMessageTypingAction{}}
	evs, err := index(nil).update(input{account: "main", date: 1700000000}, u)
	if !errors.Is(err, ErrUnclassified) || !strings.Contains(err.Error(), "updateUserTyping") || len(evs) != 0 {
		t.Errorf("Update = %d events, %v; want ErrUnclassified naming updateUserTyping", len(evs), err)
	}
}
