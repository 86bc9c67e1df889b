package statetest_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tgnats/tgnats/state"
	"github.com/tgnats/tgnats/state/statetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The contract holds for the real store...
func TestPebbleStore(t *testing.T) {
	statetest.Run(t, func(t *testing.T, now func() time.Time) statetest.Store {
		s, err := state.Open(t.TempDir(), state.Options{Now: now, NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// ...and for the in-memory one the consumers' tests use.
func TestMemStore(t *testing.T) {
	statetest.Run(t, func(_ *testing.T, now func() time.Time) statetest.Store {
		return statetest.NewMemStore(now)
	})
}
