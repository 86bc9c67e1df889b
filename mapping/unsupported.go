package mapping

import "github.com/tgnats/tgnats/schema"

// Part names one piece of content of an event that this version does not
// map: What is "entity", "media" or "action", Constructor the TL name.
type Part struct {
	What        string
	Constructor string
}

// UnsupportedParts lists the unsupported parts of a message event, for the
// caller's metric (mapping keeps no state and so counts nothing itself).
// It returns nil for events without any and for non-message bodies.
func UnsupportedParts(ev *schema.Event) []Part {
	if ev == nil {
		return nil
	}
	m, ok := ev.Data.(*schema.Message)
	if !ok || m == nil {
		return nil
	}
	var parts []Part
	for _, e := range m.Entities {
		if e.Type == schema.Unsupported {
			parts = append(parts, Part{What: "entity", Constructor: e.Constructor})
		}
	}
	if m.Media != nil && m.Media.Type == schema.Unsupported {
		parts = append(parts, Part{What: "media", Constructor: m.Media.Constructor})
	}
	if m.Action != nil && m.Action.Type == schema.Unsupported {
		parts = append(parts, Part{What: "action", Constructor: m.Action.Constructor})
	}
	return parts
}
