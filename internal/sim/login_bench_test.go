package sim

import (
	"context"
	"sync"
	"testing"
	"time"
)

// BenchmarkFreshLogin is the floor of a connector's start on a fresh data
// dir: a gotd client with an empty session connects to the simulator
// (creating an MTProto auth key) and logs a bot in, then stops. With
// -cpuprofile it shows where that time goes (gotd's key exchange: the
// factorization of pq and the check of the DH prime on the client side,
// the modular exponentiations at both ends).
func BenchmarkFreshLogin(b *testing.B) {
	var total time.Duration
	for b.Loop() {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		t0 := time.Now()
		if _, err := startClient(ctx, &wg, shared.Endpoint(), "1000:simulated-token", newRecorder()); err != nil {
			cancel()
			wg.Wait()
			b.Fatal(err)
		}
		total += time.Since(t0)
		cancel()
		wg.Wait()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/login")
	b.ReportMetric(0, "ns/op")
}
