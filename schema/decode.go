package schema

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/binding/format"
	"github.com/cloudevents/sdk-go/v2/binding/spec"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
)

// Decode reads a NATS message in binary or structured content mode back into
// an sdk-go event. Header names are matched case-insensitively. In binary
// mode a missing ce-datacontenttype falls back to Content-Type.
//
// The returned event has passed event.Validate. Decode returns an error
// wrapping ErrNotCloudEvent for a message in neither mode and one wrapping
// ErrInvalidEvent when the attributes are malformed or incomplete. It never
// panics, whatever the input.
func Decode(msg *nats.Msg) (event.Event, error) {
	if msg == nil {
		return event.Event{}, fmt.Errorf("%w: nil message", ErrNotCloudEvent)
	}
	return DecodeParts(msg.Header, msg.Data)
}

// DecodeParts is Decode for a message given as its headers and body, such
// as a jetstream.Msg: DecodeParts(m.Headers(), m.Data()).
func DecodeParts(header nats.Header, data []byte) (event.Event, error) {
	m := newNATSMessage(&nats.Msg{Header: header, Data: data})
	if m.ReadEncoding() == binding.EncodingUnknown {
		return event.Event{}, fmt.Errorf("%w: no ce-specversion header and no cloudevents content type", ErrNotCloudEvent)
	}
	ev, err := binding.ToEvent(context.Background(), m)
	if err != nil {
		return event.Event{}, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	if err := ev.Validate(); err != nil {
		return event.Event{}, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	return *ev, nil
}

// natsMessage adapts a nats.Msg to binding.MessageReader. Its headers are
// lower-cased once, first value wins, in sorted order of the original names
// so that duplicates differing only in case resolve deterministically.
type natsMessage struct {
	header  map[string]string
	data    []byte
	version spec.Version // nil unless ce-specversion names a known version
}

var (
	_ binding.MessageReader         = (*natsMessage)(nil)
	_ binding.MessageMetadataReader = (*natsMessage)(nil)
)

func newNATSMessage(msg *nats.Msg) *natsMessage {
	names := make([]string, 0, len(msg.Header))
	for k := range msg.Header {
		names = append(names, k)
	}
	slices.Sort(names)
	h := make(map[string]string, len(names))
	for _, k := range names {
		vs := msg.Header[k]
		lk := strings.ToLower(k)
		if _, seen := h[lk]; seen || len(vs) == 0 {
			continue
		}
		h[lk] = vs[0]
	}
	m := &natsMessage{header: h, data: msg.Data}
	if sv, ok := h[HeaderCESpecVersion]; ok {
		// A fresh table per message keeps the package free of shared
		// state; it is a handful of small maps.
		m.version = spec.WithPrefix(HeaderCEPrefix).Version(sv)
	}
	return m
}

// GetAttribute implements binding.MessageMetadataReader.
func (m *natsMessage) GetAttribute(k spec.Kind) (spec.Attribute, any) {
	if m.version == nil {
		return nil, nil
	}
	attr := m.version.AttributeFromKind(k)
	if attr == nil {
		return nil, nil
	}
	if v, ok := m.header[strings.ToLower(attr.PrefixedName())]; ok {
		return attr, v
	}
	return attr, nil
}

// GetExtension implements binding.MessageMetadataReader.
func (m *natsMessage) GetExtension(name string) any {
	if v, ok := m.header[HeaderCEPrefix+strings.ToLower(name)]; ok {
		return v
	}
	return nil
}

func (m *natsMessage) structuredFormat() format.Format {
	ct, ok := m.header["content-type"]
	if !ok || !format.IsFormat(strings.ToLower(strings.TrimSpace(ct))) {
		return nil
	}
	return format.Lookup(ct)
}

// ReadEncoding implements binding.MessageReader.
func (m *natsMessage) ReadEncoding() binding.Encoding {
	if f := m.structuredFormat(); f != nil && f.MediaType() == event.ApplicationCloudEventsJSON {
		return binding.EncodingStructured
	}
	if _, ok := m.header[HeaderCESpecVersion]; ok {
		return binding.EncodingBinary
	}
	return binding.EncodingUnknown
}

// ReadStructured implements binding.MessageReader.
func (m *natsMessage) ReadStructured(ctx context.Context, w binding.StructuredWriter) error {
	f := m.structuredFormat()
	if f == nil || f.MediaType() != event.ApplicationCloudEventsJSON {
		return binding.ErrNotStructured
	}
	return w.SetStructuredEvent(ctx, f, bytes.NewReader(m.data))
}

// ReadBinary implements binding.MessageReader. The caller (binding.DirectWrite)
// calls w.Start and w.End around it.
func (m *natsMessage) ReadBinary(ctx context.Context, w binding.BinaryWriter) error {
	sv, ok := m.header[HeaderCESpecVersion]
	if !ok {
		return binding.ErrNotBinary
	}
	version := m.version
	if version == nil {
		return fmt.Errorf("unsupported specversion %q", sv)
	}
	if err := w.SetAttribute(version.AttributeFromKind(spec.SpecVersion), sv); err != nil {
		return err
	}
	names := make([]string, 0, len(m.header))
	for k := range m.header {
		names = append(names, k)
	}
	slices.Sort(names)
	hasContentType := false
	for _, k := range names {
		if !strings.HasPrefix(k, HeaderCEPrefix) || k == HeaderCESpecVersion {
			continue
		}
		v := m.header[k]
		if attr := version.Attribute(k); attr != nil {
			if attr.Kind() == spec.DataContentType {
				hasContentType = true
			}
			if err := w.SetAttribute(attr, v); err != nil {
				return fmt.Errorf("header %s: %w", k, err)
			}
			continue
		}
		name := strings.TrimPrefix(k, HeaderCEPrefix)
		if err := w.SetExtension(name, v); err != nil {
			return fmt.Errorf("header %s: %w", k, err)
		}
	}
	if ct, ok := m.header["content-type"]; ok && !hasContentType {
		if err := w.SetAttribute(version.AttributeFromKind(spec.DataContentType), ct); err != nil {
			return fmt.Errorf("header content-type: %w", err)
		}
	}
	if len(m.data) > 0 {
		return w.SetData(bytes.NewReader(m.data))
	}
	return nil
}
