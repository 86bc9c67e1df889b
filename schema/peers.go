package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// PeerInput names a chat in a command: {"kind":"channel","id":123}, as
// events and replies name chats (the older {"peer_kind":"channel",
// "peer_id":123} is accepted too), a Bot API id (777, -400,
// -1001234567890, as number or string) or "@username".
type PeerInput struct {
	Kind     PeerKind `json:"kind,omitempty"`
	ID       int64    `json:"id,omitempty" tl:"long"`
	Username string   `json:"-"` // without "@"; set instead of Kind and ID
}

// IsZero reports whether p names nothing (the field was absent).
func (p PeerInput) IsZero() bool { return p.Kind == "" && p.ID == 0 && p.Username == "" }

// Ref returns the peer as a PeerRef; false for a username.
func (p PeerInput) Ref() (PeerRef, bool) {
	if p.Username != "" {
		return PeerRef{}, false
	}
	return PeerRef{Kind: p.Kind, ID: p.ID}, true
}

func (p PeerInput) String() string {
	if p.Username != "" {
		return "@" + p.Username
	}
	return PeerRef{Kind: p.Kind, ID: p.ID}.String()
}

// PeerFromBotAPIID converts a Bot API chat id: positive for users, -id for
// basic groups, -100… for channels.
func PeerFromBotAPIID(id int64) (PeerRef, error) {
	const channelBase = 1000000000000
	switch {
	case id > 0:
		return PeerRef{Kind: PeerUser, ID: id}, nil
	case id < -channelBase:
		return PeerRef{Kind: PeerChannel, ID: -channelBase - id}, nil
	case id < 0 && id > -channelBase:
		return PeerRef{Kind: PeerChat, ID: -id}, nil
	}
	return PeerRef{}, fmt.Errorf("%d is not a Bot API chat id", id)
}

// peerTypeError wraps a reason in a *json.UnmarshalTypeError, the one error
// type encoding/json annotates with the field path ("to_peer").
func peerTypeError(format string, args ...any) error {
	return &json.UnmarshalTypeError{Value: fmt.Sprintf(format, args...), Type: reflect.TypeFor[PeerInput]()}
}

// UnmarshalJSON accepts the three forms described on PeerInput.
func (p *PeerInput) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*p = PeerInput{}
		return nil
	case b[0] == '{':
		return p.fromObject(b)
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return peerTypeError("%s: not a JSON string", b)
		}
		if name, ok := strings.CutPrefix(s, "@"); ok {
			if !validUsername(name) {
				return peerTypeError("%q is not a valid username", s)
			}
			*p = PeerInput{Username: name}
			return nil
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return peerTypeError("%q: want \"@username\" or a Bot API id", s)
		}
		return p.fromBotAPI(id)
	default:
		var id int64
		if err := json.Unmarshal(b, &id); err != nil {
			return peerTypeError("%s: want an object, a Bot API id or \"@username\"", b)
		}
		return p.fromBotAPI(id)
	}
}

// fromObject reads {"kind": …, "id": …}, the spelling of events and
// replies, or the older {"peer_kind": …, "peer_id": …}; one spelling at a
// time. Errors name the fields as written.
func (p *PeerInput) fromObject(b []byte) error {
	var o struct {
		Kind     *PeerKind `json:"kind"`
		ID       *int64    `json:"id"`
		PeerKind *PeerKind `json:"peer_kind"`
		PeerID   *int64    `json:"peer_id"`
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&o); err != nil {
		return peerTypeError("want {\"kind\": \"user|chat|channel\", \"id\": positive id}: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	kindField, idField, kind, id := "kind", "id", o.Kind, o.ID
	if o.PeerKind != nil || o.PeerID != nil {
		if o.Kind != nil || o.ID != nil {
			return peerTypeError("both {\"kind\", \"id\"} and {\"peer_kind\", \"peer_id\"}: use one spelling")
		}
		kindField, idField, kind, id = "peer_kind", "peer_id", o.PeerKind, o.PeerID
	}
	var k PeerKind
	if kind != nil {
		k = *kind
	}
	if k != PeerUser && k != PeerChat && k != PeerChannel {
		return peerTypeError("%s %q: want user, chat or channel", kindField, k)
	}
	var n int64
	if id != nil {
		n = *id
	}
	if n <= 0 {
		return peerTypeError("%s %d: want a positive id (Bot API ids go as a bare number)", idField, n)
	}
	*p = PeerInput{Kind: k, ID: n}
	return nil
}

func (p *PeerInput) fromBotAPI(id int64) error {
	ref, err := PeerFromBotAPIID(id)
	if err != nil {
		return peerTypeError("%v", err)
	}
	*p = PeerInput{Kind: ref.Kind, ID: ref.ID}
	return nil
}

// MarshalJSON writes "@username" or the object form {"kind", "id"}.
func (p PeerInput) MarshalJSON() ([]byte, error) {
	if p.Username != "" {
		return json.Marshal("@" + p.Username)
	}
	return json.Marshal(PeerRef{Kind: p.Kind, ID: p.ID})
}

// validUsername reports whether s looks like a Telegram username: 4–32
// letters, digits and underscores (5 is Telegram's minimum for new names,
// but older and collectible ones are shorter).
func validUsername(s string) bool {
	if len(s) < 4 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}
