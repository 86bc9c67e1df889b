package state

import (
	"strconv"
	"testing"
)

func BenchmarkCommit(b *testing.B) {
	for _, bc := range []struct {
		name   string
		noSync bool
	}{{"synced", false}, {"nosync", true}} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := Open(b.TempDir(), Options{NoSync: bc.noSync})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			data := make([]byte, 512)
			st := &UpdateState{}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				id := "acct:user:1:" + strconv.Itoa(i) + ":message.created"
				st.Pts = i
				c := &Commit{
					Events: []OutboxRecord{{Subject: "tg.acct.events.message.created.user.1", MsgID: id,
						Header: map[string][]string{"Nats-Msg-Id": {id}}, Data: data}},
					State: st,
				}
				if err := s.Commit(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOutboxDrain drains a backlog of n records the way the publisher
// does: read a window after the cursor, ack it, and so on. The cost per
// record must not grow with the backlog (tombstones of acked records are
// never walked again).
func BenchmarkOutboxDrain(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run("records="+strconv.Itoa(n), func(b *testing.B) {
			s, err := Open(b.TempDir(), Options{NoSync: true})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			data := make([]byte, 512)
			const window = 256
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				for i := 0; i < n; i += window {
					c := &Commit{}
					for j := i; j < min(i+window, n); j++ {
						id := "acct:user:1:" + strconv.Itoa(j) + ":message.created"
						c.Events = append(c.Events, OutboxRecord{Subject: "tg.acct.events.message.created.user.1", MsgID: id, Data: data})
					}
					if err := s.Commit(c); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				var cursor uint64
				seqs := make([]uint64, 0, window)
				for {
					recs, err := s.OutboxRead(cursor, window)
					if err != nil {
						b.Fatal(err)
					}
					if len(recs) == 0 {
						break
					}
					seqs = seqs[:0]
					for _, r := range recs {
						seqs = append(seqs, r.Seq)
					}
					cursor = recs[len(recs)-1].Seq
					// The publisher acks out of order within its window.
					for i := 0; i < len(seqs); i += 16 {
						if err := s.OutboxAck(seqs[i:min(i+16, len(seqs))]...); err != nil {
							b.Fatal(err)
						}
					}
				}
				if d, _ := s.OutboxStats(); d != 0 {
					b.Fatalf("outbox depth %d after drain", d)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
