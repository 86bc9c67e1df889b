package schema_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/tgnats/tgnats/schema"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func sampleEvent() *schema.Event {
	peer := schema.PeerRef{Kind: schema.PeerChannel, ID: 1234567}
	date := time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)
	return &schema.Event{
		ID:          schema.EventID("main", peer, 42, schema.KindMessage, schema.ActionCreated, 0),
		Account:     "main",
		Kind:        schema.KindMessage,
		Action:      schema.ActionCreated,
		Peer:        peer,
		MessageID:   42,
		Time:        date,
		TraceParent: traceParent,
		Data: &schema.Message{
			Account:   "main",
			Chat:      schema.NewChat(peer),
			MessageID: 42,
			Date:      date,
			Text:      "héllo wörld ✓",
			Entities:  []schema.Entity{{Type: "bold", Offset: 0, Length: 5}},
		},
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    schema.Mode
		wantErr error
	}{
		{name: "binary", in: "binary", want: schema.ModeBinary},
		{name: "structured", in: "structured", want: schema.ModeStructured},
		{name: "empty", in: "", wantErr: schema.ErrInvalidMode},
		{name: "wrong case", in: "Binary", wantErr: schema.ErrInvalidMode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := schema.ParseMode(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseMode(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Fatalf("ParseMode(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestEncodeBinary(t *testing.T) {
	ev := sampleEvent()
	msg, err := schema.Encoder{}.Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	if want := "tg.main.events.message.created.channel.1234567"; msg.Subject != want {
		t.Errorf("subject = %q, want %q", msg.Subject, want)
	}
	wantHeaders := map[string]string{
		"Nats-Msg-Id":        ev.ID,
		"ce-specversion":     "1.0",
		"ce-id":              ev.ID,
		"ce-source":          "tgnats://main",
		"ce-type":            "org.tgnats.message.created.v1",
		"ce-time":            "2024-05-01T12:30:00Z",
		"ce-subject":         "channel/1234567/42",
		"ce-datacontenttype": "application/json",
		"ce-dataschema":      "https://tgnats.org/schemas/message.created.v1.json",
		"ce-partitionkey":    "channel:1234567",
		"ce-traceparent":     traceParent,
		"traceparent":        traceParent,
	}
	for k, want := range wantHeaders {
		if got := msg.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if got := msg.Header.Get("Content-Type"); got != "" {
		t.Errorf("binary mode must not set Content-Type, got %q", got)
	}
	for k, vs := range msg.Header {
		for _, v := range vs {
			for _, r := range v {
				if r < ' ' || r > '~' {
					t.Errorf("header %s value %q is not printable ASCII", k, v)
				}
			}
		}
	}
	var body schema.Message
	if err := json.Unmarshal(msg.Data, &body); err != nil {
		t.Fatalf("body is not a Message: %v", err)
	}
	if body.Text != "héllo wörld ✓" || body.Chat.BotAPIID != -1000001234567 {
		t.Errorf("body = %+v", body)
	}
}

func TestEncodeStructured(t *testing.T) {
	ev := sampleEvent()
	msg, err := schema.Encoder{Prefix: "tele.gram", Mode: schema.ModeStructured}.Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	if want := "tele.gram.main.events.message.created.channel.1234567"; msg.Subject != want {
		t.Errorf("subject = %q, want %q", msg.Subject, want)
	}
	for k, want := range map[string]string{
		"Content-Type": "application/cloudevents+json",
		"Nats-Msg-Id":  ev.ID,
		"traceparent":  traceParent,
	} {
		if got := msg.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if got := msg.Header.Get("ce-id"); got != "" {
		t.Errorf("structured mode must not set ce-id, got %q", got)
	}
	var doc map[string]any
	if err := json.Unmarshal(msg.Data, &doc); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"specversion":     "1.0",
		"id":              ev.ID,
		"type":            "org.tgnats.message.created.v1",
		"partitionkey":    "channel:1234567",
		"traceparent":     traceParent,
		"datacontenttype": "application/json",
	} {
		if doc[k] != want {
			t.Errorf("%s = %v, want %v", k, doc[k], want)
		}
	}
	if data, ok := doc["data"].(map[string]any); !ok || data["text"] != "héllo wörld ✓" {
		t.Errorf("data = %v, want the message as a JSON object", doc["data"])
	}
}

func TestEncodeInvalid(t *testing.T) {
	tests := []struct {
		name    string
		enc     schema.Encoder
		mutate  func(ev *schema.Event)
		nilEv   bool
		wantErr error
	}{
		{name: "valid", mutate: func(*schema.Event) {}},
		{name: "nil event", nilEv: true, wantErr: schema.ErrInvalidEvent},
		{name: "no id", mutate: func(ev *schema.Event) { ev.ID = "" }, wantErr: schema.ErrInvalidEvent},
		{name: "id with space", mutate: func(ev *schema.Event) { ev.ID = "a b" }, wantErr: schema.ErrInvalidEvent},
		{name: "no account", mutate: func(ev *schema.Event) { ev.Account = "" }, wantErr: schema.ErrInvalidEvent},
		{name: "account with dot", mutate: func(ev *schema.Event) { ev.Account = "a.b" }, wantErr: schema.ErrInvalidEvent},
		{name: "no kind", mutate: func(ev *schema.Event) { ev.Kind = "" }, wantErr: schema.ErrInvalidEvent},
		{name: "no action", mutate: func(ev *schema.Event) { ev.Action = "" }, wantErr: schema.ErrInvalidEvent},
		{name: "bad peer kind", mutate: func(ev *schema.Event) { ev.Peer.Kind = "group" }, wantErr: schema.ErrInvalidEvent},
		{name: "zero peer id", mutate: func(ev *schema.Event) { ev.Peer.ID = 0 }, wantErr: schema.ErrInvalidEvent},
		{name: "unknown peer id 0", mutate: func(ev *schema.Event) { ev.Peer = schema.PeerRef{Kind: schema.PeerUnknown} }},
		{name: "zero time", mutate: func(ev *schema.Event) { ev.Time = time.Time{} }, wantErr: schema.ErrInvalidEvent},
		{name: "nil data", mutate: func(ev *schema.Event) { ev.Data = nil }, wantErr: schema.ErrInvalidEvent},
		{name: "unmarshalable data", mutate: func(ev *schema.Event) { ev.Data = make(chan int) }, wantErr: schema.ErrInvalidEvent},
		{name: "bad traceparent", mutate: func(ev *schema.Event) { ev.TraceParent = "00-xyz" }, wantErr: schema.ErrInvalidEvent},
		{name: "wildcard prefix", enc: schema.Encoder{Prefix: "tg.*"}, mutate: func(*schema.Event) {}, wantErr: schema.ErrInvalidPrefix},
		{name: "empty prefix token", enc: schema.Encoder{Prefix: "tg..x"}, mutate: func(*schema.Event) {}, wantErr: schema.ErrInvalidPrefix},
		{name: "unknown mode", enc: schema.Encoder{Mode: 7}, mutate: func(*schema.Event) {}, wantErr: schema.ErrInvalidMode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev *schema.Event
			if !tt.nilEv {
				ev = sampleEvent()
				tt.mutate(ev)
			}
			msg, err := tt.enc.Encode(ev)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Encode error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && msg == nil {
				t.Fatal("Encode returned nil message without error")
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, mode := range []schema.Mode{schema.ModeBinary, schema.ModeStructured} {
		t.Run(mode.String(), func(t *testing.T) {
			ev := sampleEvent()
			msg, err := schema.Encoder{Mode: mode}.Encode(ev)
			if err != nil {
				t.Fatal(err)
			}
			got, err := schema.Decode(msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("decoded event does not validate: %v", err)
			}
			want, err := schema.CloudEvent(ev)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("decoded event differs\n got: %s\nwant: %s", got, want)
			}
			if !got.Time().Equal(ev.Time) {
				t.Errorf("time = %v, want %v", got.Time(), ev.Time)
			}
			var body schema.Message
			if err := got.DataAs(&body); err != nil {
				t.Fatal(err)
			}
			if body.Text != ev.Data.(*schema.Message).Text {
				t.Errorf("text = %q", body.Text)
			}
		})
	}
}

func TestDecodeHeaderCase(t *testing.T) {
	msg, err := schema.Encoder{}.Encode(sampleEvent())
	if err != nil {
		t.Fatal(err)
	}
	upper := nats.NewMsg(msg.Subject)
	upper.Data = msg.Data
	for k, vs := range msg.Header {
		upper.Header[strings.ToUpper(k)] = vs
	}
	got, err := schema.Decode(upper)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID() != sampleEvent().ID || got.Extensions()["partitionkey"] != "channel:1234567" {
		t.Errorf("decoded %s", got)
	}
}

func TestDecodeErrors(t *testing.T) {
	binary := func(mutate func(h nats.Header)) *nats.Msg {
		msg, err := schema.Encoder{}.Encode(sampleEvent())
		if err != nil {
			t.Fatal(err)
		}
		mutate(msg.Header)
		return msg
	}
	tests := []struct {
		name    string
		msg     *nats.Msg
		wantErr error
	}{
		{name: "nil", msg: nil, wantErr: schema.ErrNotCloudEvent},
		{name: "plain message", msg: &nats.Msg{Subject: "x", Data: []byte(`{}`)}, wantErr: schema.ErrNotCloudEvent},
		{name: "missing id", msg: binary(func(h nats.Header) { h.Del("ce-id") }), wantErr: schema.ErrInvalidEvent},
		{name: "missing type", msg: binary(func(h nats.Header) { h.Del("ce-type") }), wantErr: schema.ErrInvalidEvent},
		{name: "bad time", msg: binary(func(h nats.Header) { h.Set("ce-time", "yesterday") }), wantErr: schema.ErrInvalidEvent},
		{name: "bad specversion", msg: binary(func(h nats.Header) { h.Set("ce-specversion", "9.9") }), wantErr: schema.ErrInvalidEvent},
		{name: "structured garbage", msg: &nats.Msg{Header: nats.Header{"Content-Type": {"application/cloudevents+json"}}, Data: []byte("{")}, wantErr: schema.ErrInvalidEvent},
		{name: "binary ok", msg: binary(func(nats.Header) {})},
		{name: "content-type fallback", msg: binary(func(h nats.Header) {
			h.Del("ce-datacontenttype")
			h.Set("Content-Type", "application/json")
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := schema.Decode(tt.msg)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Decode error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && ev.DataContentType() != "application/json" {
				t.Errorf("datacontenttype = %q", ev.DataContentType())
			}
		})
	}
}

func TestValidTraceParent(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{name: "valid", in: traceParent, want: true},
		{name: "upper hex", in: strings.ToUpper(traceParent), want: false},
		{name: "zero trace id", in: "00-00000000000000000000000000000000-00f067aa0ba902b7-01", want: false},
		{name: "zero parent id", in: "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", want: false},
		{name: "short", in: "00-4bf9-00f067aa0ba902b7-01", want: false},
		{name: "other version", in: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", want: false},
		{name: "empty", in: "", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := schema.ValidTraceParent(tt.in); got != tt.want {
				t.Errorf("ValidTraceParent(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, mode := range []schema.Mode{schema.ModeBinary, schema.ModeStructured} {
		msg, err := schema.Encoder{Mode: mode}.Encode(sampleEvent())
		if err != nil {
			f.Fatal(err)
		}
		var hdr strings.Builder
		for k, vs := range msg.Header {
			for _, v := range vs {
				hdr.WriteString(k + ":" + v + "\n")
			}
		}
		f.Add(hdr.String(), msg.Data)
	}
	f.Add("CE-SPECVERSION:1.0\nce-time:\nce-foo_bar:1\n", []byte("null"))
	f.Add("content-type:application/cloudevents+json; charset=utf-8\n", []byte(`{"specversion":"0.3","data":1}`))
	f.Fuzz(func(t *testing.T, headers string, body []byte) {
		msg := &nats.Msg{Subject: "x", Header: nats.Header{}, Data: body}
		for _, line := range strings.Split(headers, "\n") {
			k, v, _ := strings.Cut(line, ":")
			msg.Header[k] = append(msg.Header[k], v)
		}
		ev, err := schema.Decode(msg)
		if err == nil {
			if verr := ev.Validate(); verr != nil {
				t.Fatalf("Decode returned an event that does not validate: %v", verr)
			}
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	for _, mode := range []schema.Mode{schema.ModeBinary, schema.ModeStructured} {
		b.Run(mode.String(), func(b *testing.B) {
			enc := schema.Encoder{Mode: mode}
			ev := sampleEvent()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := enc.Encode(ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
