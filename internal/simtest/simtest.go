// Package simtest runs the Telegram simulator (internal/sim) for a test:
// started, ready, and stopped at the test's cleanup, where an error it
// returned fails the test.
package simtest

import (
	"context"
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/sim"
)

// Start runs a simulator with cfg until the test ends and returns it once it
// accepts connections.
func Start(t testing.TB, cfg sim.Config) *sim.Sim {
	t.Helper()
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulator: %v", err)
		}
	})
	select {
	case <-s.Ready():
	case err := <-done:
		t.Fatalf("simulator: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("simulator not ready after 30s")
	}
	return s
}
