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
