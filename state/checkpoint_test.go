package state

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tgnats/tgnats/schema"
)

func TestCheckpointRoundTrip(t *testing.T) {
	ctx := context.Background()
	key := key32(t)
	src := openT(t, t.TempDir(), Options{EncryptionKey: key})
	if _, err := src.ExportCheckpoint(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ExportCheckpoint of a store without update state: %v, want ErrNotFound", err)
	}
	secret := []byte(`{"Version":1,"Data":{"AuthKey":"c2VjcmV0LWF1dGgta2V5LWJ5dGVz"}}`)
	if err := src.StoreSession(ctx, secret); err != nil {
		t.Fatal(err)
	}
	peer := schema.PeerRef{Kind: schema.PeerUser, ID: 7}
	c := &Commit{
		Events:   []OutboxRecord{event("tg.a.events.message.created.user.7", "id-1", "{}")},
		State:    &UpdateState{Pts: 10, Qts: 2, Seq: 3, Date: 1000, MaxMessageID: 5},
		Channels: []ChannelState{{ID: 99, Pts: 40, AccessHash: 1234}},
		Index:    []IndexEntry{{MessageID: 5, Peer: peer}},
		Peers:    []Peer{{Kind: schema.PeerUser, ID: 7, AccessHash: 77, Username: "seven"}},
	}
	if err := src.Commit(c); err != nil {
		t.Fatal(err)
	}
	cp, err := src.ExportCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	data, upTo := cp.Data, cp.UpTo
	if again, err := src.ExportCheckpoint(); err != nil || again.Digest != cp.Digest || bytes.Equal(again.Data, data) {
		t.Fatalf("unchanged store: digest equal %v, sealed data equal %v (want fresh nonce), %v",
			again.Digest == cp.Digest, bytes.Equal(again.Data, data), err)
	}
	if upTo != c.Events[0].Seq {
		t.Fatalf("upTo = %d, want the last committed seq %d", upTo, c.Events[0].Seq)
	}
	// The snapshot includes an event not yet in JetStream: not publishable.
	if src.OutboxAckedThrough(upTo) {
		t.Fatal("OutboxAckedThrough = true with the record still in the outbox")
	}
	if err := src.OutboxAck(upTo); err != nil {
		t.Fatal(err)
	}
	if !src.OutboxAckedThrough(upTo) {
		t.Fatal("OutboxAckedThrough = false after the ack")
	}
	for _, clear := range [][]byte{secret, []byte("seven"), []byte(`"pts":10`)} {
		if bytes.Contains(data, clear) {
			t.Fatalf("sealed checkpoint holds %q in clear", clear)
		}
	}

	// A standby with an empty store and the same key takes it over.
	dst := openT(t, t.TempDir(), Options{EncryptionKey: key})
	ok, err := dst.ImportCheckpoint(data)
	if err != nil || !ok {
		t.Fatalf("ImportCheckpoint = %v, %v; want restored", ok, err)
	}
	if got, err := dst.LoadSession(ctx); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("session after import = %q, %v", got, err)
	}
	if st, _, _ := dst.UpdateState(); *c.State != st {
		t.Fatalf("update state = %+v, want %+v", st, *c.State)
	}
	if ch, _, _ := dst.Channel(99); ch != c.Channels[0] {
		t.Fatalf("channel = %+v, want %+v", ch, c.Channels[0])
	}
	if p, err := dst.PeerByUsername("seven"); err != nil || p.AccessHash != 77 {
		t.Fatalf("peer = %+v, %v", p, err)
	}
	if got, ok := dst.MessagePeer(5); !ok || got != peer {
		t.Fatalf("MessagePeer(5) = %v, %v", got, ok)
	}
	if depth, _ := dst.OutboxStats(); depth != 0 {
		t.Fatalf("outbox depth %d after import, want 0 (events are not part of a checkpoint)", depth)
	}

	// Not ahead of the store any more: nothing changes.
	if ok, err := dst.ImportCheckpoint(data); err != nil || ok {
		t.Fatalf("second ImportCheckpoint = %v, %v; want not restored", ok, err)
	}

	// Wrong or missing key: a clear error, nothing restored.
	for name, opts := range map[string]Options{"wrong key": {EncryptionKey: key32(t)}, "no key": {}} {
		other := openT(t, t.TempDir(), opts)
		if _, err := other.ImportCheckpoint(data); !errors.Is(err, ErrWrongKey) {
			t.Errorf("%s: ImportCheckpoint error = %v, want ErrWrongKey", name, err)
		}
		if _, ok, _ := other.UpdateState(); ok {
			t.Errorf("%s: update state restored from an unreadable checkpoint", name)
		}
	}
	if _, err := dst.ImportCheckpoint(data[:len(data)-3]); !errors.Is(err, ErrWrongKey) {
		t.Errorf("truncated sealed checkpoint: %v, want ErrWrongKey (authentication fails)", err)
	}
	if _, err := dst.ImportCheckpoint([]byte("garbage")); !errors.Is(err, ErrCorrupt) {
		t.Errorf("garbage: %v, want ErrCorrupt", err)
	}
}
