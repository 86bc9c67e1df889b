package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
)

// Errors callers branch on.
var (
	// ErrInvalidEvent reports an Event that cannot be encoded (missing id,
	// kind, …) or a message whose CloudEvent attributes do not validate.
	ErrInvalidEvent = errors.New("schema: invalid event")
	// ErrInvalidPrefix reports a subject prefix that is not a valid NATS subject.
	ErrInvalidPrefix = errors.New("schema: invalid subject prefix")
	// ErrInvalidMode reports an unknown content mode name.
	ErrInvalidMode = errors.New("schema: invalid content mode")
	// ErrNotCloudEvent reports a NATS message in neither binary nor structured mode.
	ErrNotCloudEvent = errors.New("schema: not a cloudevent")
)

// Content types of tgnats messages.
const (
	// ContentTypeJSON is the datacontenttype of every tgnats event.
	ContentTypeJSON = "application/json"
	// ContentTypeCloudEventsJSON is the Content-Type of a structured-mode message.
	ContentTypeCloudEventsJSON = "application/cloudevents+json"
)

// Mode is the CloudEvents content mode used on the wire.
type Mode int

// Content modes.
const (
	// ModeBinary puts attributes in ce-* headers and the data alone in the body.
	ModeBinary Mode = iota
	// ModeStructured puts the whole event as JSON in the body.
	ModeStructured
)

// ParseMode parses "binary" or "structured".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "binary":
		return ModeBinary, nil
	case "structured":
		return ModeStructured, nil
	}
	return 0, fmt.Errorf("%w: %q (want binary or structured)", ErrInvalidMode, s)
}

func (m Mode) String() string {
	switch m {
	case ModeBinary:
		return "binary"
	case ModeStructured:
		return "structured"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// DataSchema returns the URI of the JSON Schema of kind.action bodies,
// e.g. "https://tgnats.org/schemas/message.created.v1.json". It is also the
// $id of the embedded schema document of that name (see Schemas).
func DataSchema(kind, action string) string {
	return SchemaBaseURI + SchemaName(kind, action)
}

// SchemaBaseURI is the common prefix of every dataschema URI.
const SchemaBaseURI = "https://tgnats.org/schemas/"

// SchemaName returns the file name of the schema of kind.action bodies,
// "<kind>.<action>.v1.json", the key of Schemas.
func SchemaName(kind, action string) string {
	return kind + "." + action + ".v1.json"
}

// Encoder turns Events into NATS messages. The zero value encodes in binary
// mode under the "tg" prefix.
type Encoder struct {
	// Prefix is the first token(s) of subjects; DefaultPrefix when empty.
	Prefix string
	// Mode selects binary (default) or structured content mode.
	Mode Mode
}

// Encode builds the NATS message for ev. The subject is ev.Subject(prefix),
// the Nats-Msg-Id header is ev.ID, and a plain traceparent header rides along
// when ev.TraceParent is set. In binary mode the attributes are ce-* headers
// and the body is the JSON of ev.Data; in structured mode the body is the whole
// event as application/cloudevents+json.
//
// Encode returns an error wrapping ErrInvalidEvent when ev lacks an id,
// account, kind, action, valid peer, time or data, or carries a malformed
// traceparent, and one wrapping ErrInvalidPrefix for a bad prefix.
func (e Encoder) Encode(ev *Event) (*nats.Msg, error) {
	prefix := e.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if !validPrefix(prefix) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidPrefix, prefix)
	}
	if err := check(ev); err != nil {
		return nil, err
	}
	data, err := json.Marshal(ev.Data)
	if err != nil {
		return nil, fmt.Errorf("%w: marshal data: %w", ErrInvalidEvent, err)
	}

	// One map sized for every header and one array for all their values:
	// an event is encoded once per update, on the engine's hot path.
	n := 12 // binary mode: msg id, traceparent, ce-*
	if e.Mode != ModeBinary {
		n = 3
	}
	h := headerSet{h: make(nats.Header, n), vals: make([]string, 0, n)}
	msg := &nats.Msg{Subject: ev.Subject(prefix), Header: h.h}
	h.set(HeaderMsgID, ev.ID)
	if ev.TraceParent != "" {
		h.set(HeaderTraceParent, ev.TraceParent)
	}

	switch e.Mode {
	case ModeBinary:
		h.set(HeaderCESpecVersion, event.CloudEventsVersionV1)
		h.set(HeaderCEID, ev.ID)
		h.set(HeaderCESource, ev.Source())
		h.set(HeaderCEType, ev.Type())
		h.set(HeaderCETime, ev.Time.UTC().Format(time.RFC3339Nano))
		h.set(HeaderCESubject, ev.CESubject())
		h.set(HeaderCEDataContentType, ContentTypeJSON)
		h.set(HeaderCEDataSchema, DataSchema(ev.Kind, ev.Action))
		h.set(HeaderCEPartitionKey, ev.Peer.PartitionKey())
		if ev.TraceParent != "" {
			h.set(HeaderCETraceParent, ev.TraceParent)
		}
		msg.Data = data
	case ModeStructured:
		ce := toCloudEvent(ev, data)
		if err := ce.Validate(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
		}
		body, err := json.Marshal(ce)
		if err != nil {
			return nil, fmt.Errorf("%w: marshal event: %w", ErrInvalidEvent, err)
		}
		h.set(HeaderContentType, ContentTypeCloudEventsJSON)
		msg.Data = body
	default:
		return nil, fmt.Errorf("%w: %v", ErrInvalidMode, e.Mode)
	}
	return msg, nil
}

// headerSet fills a header whose values share one array (nats.Header.Set
// allocates one slice per value).
type headerSet struct {
	h    nats.Header
	vals []string
}

// set replaces key's values with value.
func (s *headerSet) set(key, value string) {
	s.vals = append(s.vals, value)
	n := len(s.vals)
	s.h[key] = s.vals[n-1 : n : n]
}

// CloudEvent returns ev as an sdk-go event carrying the same attributes that
// Encode writes (useful for tests and for transports other than NATS).
func CloudEvent(ev *Event) (event.Event, error) {
	if err := check(ev); err != nil {
		return event.Event{}, err
	}
	data, err := json.Marshal(ev.Data)
	if err != nil {
		return event.Event{}, fmt.Errorf("%w: marshal data: %w", ErrInvalidEvent, err)
	}
	ce := toCloudEvent(ev, data)
	if err := ce.Validate(); err != nil {
		return event.Event{}, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	return ce, nil
}

func toCloudEvent(ev *Event, data []byte) event.Event {
	ce := event.New(event.CloudEventsVersionV1)
	ce.SetID(ev.ID)
	ce.SetSource(ev.Source())
	ce.SetType(ev.Type())
	ce.SetTime(ev.Time.UTC())
	ce.SetSubject(ev.CESubject())
	ce.SetDataSchema(DataSchema(ev.Kind, ev.Action))
	ce.SetExtension("partitionkey", ev.Peer.PartitionKey())
	if ev.TraceParent != "" {
		ce.SetExtension("traceparent", ev.TraceParent)
	}
	ce.SetDataContentType(ContentTypeJSON)
	ce.DataEncoded = data
	return ce
}

// check reports why ev cannot be encoded, wrapping ErrInvalidEvent.
func check(ev *Event) error {
	switch {
	case ev == nil:
		return fmt.Errorf("%w: nil event", ErrInvalidEvent)
	case !headerSafe(ev.ID):
		return fmt.Errorf("%w: id %q is empty or not printable ASCII", ErrInvalidEvent, ev.ID)
	case !ValidAccount(ev.Account):
		return fmt.Errorf("%w: account %q (want [a-z0-9_-]+)", ErrInvalidEvent, ev.Account)
	case !validToken(ev.Kind):
		return fmt.Errorf("%w: kind %q (want [a-z0-9_]+)", ErrInvalidEvent, ev.Kind)
	case !validToken(ev.Action):
		return fmt.Errorf("%w: action %q (want [a-z0-9_]+)", ErrInvalidEvent, ev.Action)
	case !ev.Peer.Kind.Valid():
		return fmt.Errorf("%w: peer kind %q", ErrInvalidEvent, ev.Peer.Kind)
	case ev.Peer.ID < 0:
		return fmt.Errorf("%w: negative peer id %d", ErrInvalidEvent, ev.Peer.ID)
	case ev.Peer.Kind != PeerUnknown && ev.Peer.ID == 0:
		return fmt.Errorf("%w: zero peer id for kind %q", ErrInvalidEvent, ev.Peer.Kind)
	case ev.Time.IsZero():
		return fmt.Errorf("%w: zero time", ErrInvalidEvent)
	case ev.Data == nil:
		return fmt.Errorf("%w: nil data", ErrInvalidEvent)
	case ev.TraceParent != "" && !ValidTraceParent(ev.TraceParent):
		return fmt.Errorf("%w: malformed traceparent %q", ErrInvalidEvent, ev.TraceParent)
	}
	return nil
}

// ValidTraceParent reports whether s is a W3C traceparent of version 00:
// "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>", ids not all zero.
func ValidTraceParent(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) != 4 || parts[0] != "00" {
		return false
	}
	for i, n := range []int{2, 32, 16, 2} {
		if len(parts[i]) != n || !lowerHex(parts[i]) {
			return false
		}
	}
	return strings.Trim(parts[1], "0") != "" && strings.Trim(parts[2], "0") != ""
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// headerSafe reports whether s is non-empty printable ASCII without spaces.
func headerSafe(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// ValidAccount reports whether s is a valid account name, [a-z0-9_-]+: the
// <account> token of subjects and the base of stream names.
func ValidAccount(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// validToken reports whether s matches [a-z0-9_]+.
func validToken(s string) bool {
	return ValidAccount(s) && !strings.Contains(s, "-")
}

// validPrefix reports whether p is one or more dot-separated subject tokens
// without wildcards or whitespace.
func validPrefix(p string) bool {
	for _, tok := range strings.Split(p, ".") {
		if !headerSafe(tok) || strings.ContainsAny(tok, "*>") {
			return false
		}
	}
	return true
}
