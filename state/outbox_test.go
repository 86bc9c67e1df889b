package state

import (
	"github.com/gotd/neo"

	"errors"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestOutbox(t *testing.T) {
	clk := neo.NewTime(time.Unix(1700000000, 0))
	s := openT(t, t.TempDir(), Options{Now: clk.Now})
	if depth, oldest := s.OutboxStats(); depth != 0 || !oldest.IsZero() {
		t.Fatalf("empty OutboxStats() = %d, %v", depth, oldest)
	}
	var all []OutboxRecord
	for i := range 5 {
		r := event("tg.a.events.m", string(rune('a'+i)), "data")
		r.Created = time.Time{} // Commit stamps it
		c := &Commit{Events: []OutboxRecord{r}}
		if err := s.Commit(c); err != nil {
			t.Fatal(err)
		}
		select {
		case <-s.OutboxNotify():
		default:
			t.Fatalf("Commit %d did not signal OutboxNotify", i)
		}
		all = append(all, c.Events[0])
		clk.Travel(time.Second)
	}
	for i, r := range all {
		if r.Seq != uint64(i+1) || !r.Created.Equal(time.Unix(1700000000+int64(i), 0)) {
			t.Fatalf("record %d: seq %d created %v", i, r.Seq, r.Created)
		}
	}

	tests := []struct {
		name    string
		after   uint64
		limit   int
		want    []uint64
		wantErr error
	}{
		{name: "from start", after: 0, limit: 10, want: []uint64{1, 2, 3, 4, 5}},
		{name: "limited", after: 0, limit: 2, want: []uint64{1, 2}},
		{name: "after", after: 3, limit: 10, want: []uint64{4, 5}},
		{name: "past end", after: 5, limit: 10},
		{name: "max seq", after: ^uint64(0), limit: 10},
		{name: "zero limit", limit: 0, wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := s.OutboxRead(tt.after, tt.limit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("OutboxRead() error = %v, want %v", err, tt.wantErr)
			}
			var got []uint64
			for _, r := range recs {
				got = append(got, r.Seq)
				want := all[r.Seq-1]
				if !r.Created.Equal(want.Created) {
					t.Errorf("record %d created %v, want %v", r.Seq, r.Created, want.Created)
				}
				r.Created = want.Created
				if !reflect.DeepEqual(r, want) {
					t.Errorf("record %d = %+v, want %+v", r.Seq, r, want)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("seqs = %v, want %v", got, tt.want)
			}
		})
	}

	// Ack out of order, with a duplicate and an unknown seq.
	if err := s.OutboxAck(2, 2, 99); err != nil {
		t.Fatal(err)
	}
	if depth, oldest := s.OutboxStats(); depth != 4 || !oldest.Equal(all[0].Created) {
		t.Errorf("OutboxStats() after ack 2 = %d, %v", depth, oldest)
	}
	if err := s.OutboxAck(1, 3); err != nil {
		t.Fatal(err)
	}
	if depth, oldest := s.OutboxStats(); depth != 2 || !oldest.Equal(all[3].Created) {
		t.Errorf("OutboxStats() after ack 1,3 = %d, %v; want 2, %v", depth, oldest, all[3].Created)
	}
	if err := s.OutboxAck(4, 5); err != nil {
		t.Fatal(err)
	}
	if depth, oldest := s.OutboxStats(); depth != 0 || !oldest.IsZero() {
		t.Errorf("OutboxStats() drained = %d, %v", depth, oldest)
	}
	if recs, err := s.OutboxRead(0, 10); err != nil || len(recs) != 0 {
		t.Errorf("OutboxRead() drained = %v, %v", recs, err)
	}
	if err := s.OutboxAck(); err != nil {
		t.Errorf("OutboxAck() with no seqs: %v", err)
	}
}

func TestOutboxRecordRoundTrip(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	want := []OutboxRecord{
		{
			Subject: "tg.acct.events.message.created.user.1",
			MsgID:   "acct:user:1:42:message.created",
			Header: map[string][]string{
				"Nats-Msg-Id": {"acct:user:1:42:message.created"},
				"ce-id":       {"acct:user:1:42:message.created"},
				"X-Multi":     {"a", "", "c"},
				"X-Empty":     {},
			},
			Data:    []byte{0, 1, 2, 255, '\n'},
			Created: time.Unix(1700000000, 1).UTC(),
		},
		{Subject: "s", MsgID: "m", Created: time.Unix(1, 0)},
	}
	c := &Commit{Events: append([]OutboxRecord(nil), want...)}
	if err := s.Commit(c); err != nil {
		t.Fatal(err)
	}
	got, err := s.OutboxRead(0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d records, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		w.Seq = uint64(i + 1)
		if !g.Created.Equal(w.Created) {
			t.Errorf("record %d created %v, want %v", i, g.Created, w.Created)
		}
		g.Created, w.Created = time.Time{}, time.Time{}
		if len(w.Data) == 0 {
			w.Data = g.Data
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("record %d = %#v\nwant %#v", i, g, w)
		}
	}
}

func TestOutboxConcurrentCommitsKeepOrder(t *testing.T) {
	s := openT(t, t.TempDir(), Options{NoSync: true})
	const writers, each = 4, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r := event("s", string(rune('A'+w))+string(rune('a'+i)), "")
				if err := s.Commit(&Commit{Events: []OutboxRecord{r, r}}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	recs, err := s.OutboxRead(0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != writers*each*2 {
		t.Fatalf("read %d records, want %d", len(recs), writers*each*2)
	}
	for i, r := range recs {
		if r.Seq != uint64(i+1) {
			t.Fatalf("record %d has seq %d", i, r.Seq)
		}
		if i%2 == 1 && r.MsgID != recs[i-1].MsgID {
			t.Fatalf("events of one commit are not adjacent at seq %d", r.Seq)
		}
	}
	if depth, _ := s.OutboxStats(); depth != len(recs) {
		t.Errorf("depth = %d, want %d", depth, len(recs))
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeRecord(&OutboxRecord{Subject: "s", MsgID: "m", Header: map[string][]string{"a": {"b"}}, Data: []byte("d"), Created: time.Unix(1, 0)}))
	f.Add([]byte{recordEncoding, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(1, b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		again, err := decodeRecord(1, encodeRecord(&r))
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if again.Subject != r.Subject || again.MsgID != r.MsgID || string(again.Data) != string(r.Data) || len(again.Header) != len(r.Header) {
			t.Fatalf("round trip changed the record: %#v vs %#v", again, r)
		}
	})
}
