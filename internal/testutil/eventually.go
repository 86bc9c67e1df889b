// Package testutil holds small helpers shared by the tests of many packages.
// It is imported only from _test.go files.
package testutil

import (
	"testing"
	"time"
)

// Poll intervals of Eventually: it starts fast, so a condition that holds
// soon is seen soon, and backs off, so a long wait on an expensive
// condition (a NATS query, a file read) does not spin.
const (
	firstPoll = time.Millisecond
	maxPoll   = 20 * time.Millisecond
)

// Eventually polls cond until it holds, failing the test (t.Fatalf, naming
// what) if it still does not after timeout. It is the one way tests wait
// for a goroutine to catch up: never a bare sleep.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	poll := firstPoll
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(poll) // polling interval, not synchronisation
		poll = min(2*poll, maxPoll)
	}
}
