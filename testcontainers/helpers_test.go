package tgnats_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
)

// logsOnFailure prints a container's log when the test fails.
func logsOnFailure(t *testing.T, name string, ctr testcontainers.Container) {
	t.Helper()
	t.Cleanup(func() {
		if !t.Failed() || ctr == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rc, err := ctr.Logs(ctx)
		if err != nil {
			t.Logf("%s logs: %v", name, err)
			return
		}
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		t.Logf("%s logs:\n%s", name, b)
	})
}
