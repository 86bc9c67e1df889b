package state

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tgnats/tgnats/schema"
)

func TestCheckpointRoundTrip(t *testing.T) {
	ctx := context.Background()
	key := key32(t)
	src := openT(t, t.TempDir(), Options{Account: "a", EncryptionKey: key})
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
		Polls:    []PollEntry{{PollID: 42, Peer: peer, MessageID: 5}},
		WebPages: []WebPageEntry{{WebPageID: 77, Peer: peer, MessageID: 5, Message: []byte(`{"message_id":5}`)}},
	}
	if err := src.Commit(c); err != nil {
		t.Fatal(err)
	}
	cp, err := src.ExportCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	upTo := cp.UpTo
	data := seal(t, src, cp, 3)
	if again, err := src.ExportCheckpoint(); err != nil || again.Digest != cp.Digest || bytes.Equal(seal(t, src, again, 3), data) {
		t.Fatalf("unchanged store: digest equal %v, sealed data differs (want fresh nonce), %v",
			again.Digest == cp.Digest, err)
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
	dst := openT(t, t.TempDir(), Options{Account: "a", EncryptionKey: key})
	ok, err := dst.ImportCheckpoint(data, 3)
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
	if got, id, ok := dst.PollMessage(42); !ok || got != peer || id != 5 {
		t.Fatalf("PollMessage(42) = %v, %d, %v", got, id, ok)
	}
	if got := dst.WebPageMessages(77); len(got) != 1 || got[0].Peer != peer || got[0].MessageID != 5 || string(got[0].Message) != `{"message_id":5}` {
		t.Fatalf("WebPageMessages(77) = %+v", got)
	}
	if depth, _ := dst.OutboxStats(); depth != 0 {
		t.Fatalf("outbox depth %d after import, want 0 (events are not part of a checkpoint)", depth)
	}

	// Not ahead of the store any more: nothing changes.
	if ok, err := dst.ImportCheckpoint(data, 3); err != nil || ok {
		t.Fatalf("second ImportCheckpoint = %v, %v; want not restored", ok, err)
	}

	// Wrong or missing key: a clear error, nothing restored.
	for name, opts := range map[string]Options{"wrong key": {Account: "a", EncryptionKey: key32(t)}, "other account": {Account: "b", EncryptionKey: key}, "no key": {Account: "a"}} {
		other := openT(t, t.TempDir(), opts)
		if _, err := other.ImportCheckpoint(data, 3); !errors.Is(err, ErrWrongKey) {
			t.Errorf("%s: ImportCheckpoint error = %v, want ErrWrongKey", name, err)
		}
		if _, ok, _ := other.UpdateState(); ok {
			t.Errorf("%s: update state restored from an unreadable checkpoint", name)
		}
	}
	if _, err := dst.ImportCheckpoint(data[:len(data)-3], 3); !errors.Is(err, ErrWrongKey) {
		t.Errorf("truncated sealed checkpoint: %v, want ErrWrongKey (authentication fails)", err)
	}
	if _, err := dst.ImportCheckpoint([]byte("garbage"), 3); !errors.Is(err, ErrCorrupt) {
		t.Errorf("garbage: %v, want ErrCorrupt", err)
	}
}

func seal(t *testing.T, s *Store, cp Checkpoint, streamSeq uint64) []byte {
	t.Helper()
	data, err := s.SealCheckpoint(cp, streamSeq)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A keyed store refuses what it cannot authenticate or what claims more
// than the stream holds; a keyless one still bounds the claim and the ranges.
func TestCheckpointRefused(t *testing.T) {
	key := key32(t)
	plain := openT(t, t.TempDir(), Options{Account: "a"})
	if err := plain.Commit(&Commit{State: &UpdateState{Pts: 10, Date: 1000}}); err != nil {
		t.Fatal(err)
	}
	cp, err := plain.ExportCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	unsealed := seal(t, plain, cp, 3)
	keyed := openT(t, t.TempDir(), Options{Account: "a", EncryptionKey: key})
	if _, err := keyed.ImportCheckpoint(unsealed, 3); !errors.Is(err, ErrRefused) {
		t.Errorf("unsealed checkpoint into a keyed store: %v, want ErrRefused", err)
	}
	keyless := openT(t, t.TempDir(), Options{Account: "a"})
	if _, err := keyless.ImportCheckpoint(unsealed, 2); !errors.Is(err, ErrRefused) {
		t.Errorf("checkpoint ahead of the stream: %v, want ErrRefused", err)
	}
	if _, err := keyless.ImportCheckpoint(append([]byte("TGCK\x01"), unsealed[5:]...), 3); !errors.Is(err, ErrOldCheckpoint) {
		t.Errorf("format 1 checkpoint: %v, want ErrOldCheckpoint", err)
	}
	if _, ok, _ := keyed.UpdateState(); ok {
		t.Error("keyed store restored a refused checkpoint")
	}
	if _, ok, _ := keyless.UpdateState(); ok {
		t.Error("keyless store restored a refused checkpoint")
	}

	future := openT(t, t.TempDir(), Options{Account: "a"})
	if err := future.Commit(&Commit{State: &UpdateState{Pts: 10, Date: int(time.Now().Add(48 * time.Hour).Unix())}}); err != nil {
		t.Fatal(err)
	}
	cp, err = future.ExportCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keyless.ImportCheckpoint(seal(t, future, cp, 0), 0); !errors.Is(err, ErrRefused) {
		t.Errorf("checkpoint dated two days ahead: %v, want ErrRefused", err)
	}
}

// A checkpoint entry whose key does not have its family's shape (a short
// message-index or channel key) is corrupt: restored, it would make the
// next Open or a read index out of range.
func TestCheckpointMalformedKeys(t *testing.T) {
	entry := func(b []byte, k, v string) []byte {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(v)))
		return append(b, v...)
	}
	for _, key := range []string{"M\x01", "C\x00\x01", "P\x01\x02", "N", "S\x00", "U\x00"} {
		data := append([]byte("TGCK\x02"), 0) // stream seq 0
		data = entry(data, "U", `{"pts":5,"date":1}`)
		data = entry(data, key, "x")
		s := openT(t, t.TempDir(), Options{Account: "a"})
		if ok, err := s.ImportCheckpoint(data, 0); ok || !errors.Is(err, ErrCorrupt) {
			t.Errorf("key %q: restored %v, %v; want ErrCorrupt", key, ok, err)
		}
	}
}

// A checkpoint carries the newest web page links that fit
// CheckpointWebPageBytes, so that it fits a NATS message however long
// the remembered messages are.
func TestCheckpointWebPageLinksBounded(t *testing.T) {
	now := time.Unix(1700000000, 0)
	src := openT(t, t.TempDir(), Options{Account: "a", Now: func() time.Time { return now }})
	peer := schema.PeerRef{Kind: schema.PeerChannel, ID: 9}
	body := bytes.Repeat([]byte("x"), 50_000) // two fit in 128 KiB, three do not
	for i := range 4 {
		now = now.Add(time.Second)
		if err := src.Commit(&Commit{State: &UpdateState{Pts: 1, Date: 1000}, WebPages: []WebPageEntry{{WebPageID: int64(10 - i), Peer: peer, MessageID: i + 1, Message: body}}}); err != nil {
			t.Fatal(err)
		}
	}
	cp, err := src.ExportCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	dst := openT(t, t.TempDir(), Options{Account: "a"})
	if ok, err := dst.ImportCheckpoint(seal(t, src, cp, 0), 0); err != nil || !ok {
		t.Fatalf("ImportCheckpoint = %v, %v", ok, err)
	}
	var kept []int
	for page := int64(7); page <= 10; page++ {
		for _, e := range dst.WebPageMessages(page) {
			kept = append(kept, e.MessageID)
		}
	}
	// Pages 7..10 hold messages 4..1, committed in that order: the two
	// newest (4 and 3) fit.
	if !slices.Equal(kept, []int{4, 3}) {
		t.Errorf("links restored for messages %v, want the newest two [4 3]", kept)
	}
}
