package tgnats_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"

	tgnats "github.com/tgnats/tgnats/testcontainers"
)

// startTgnats runs tgnats, removes it after the test and prints its log
// if the test fails.
func startTgnats(t *testing.T, ctx context.Context, img string, opts ...testcontainers.ContainerCustomizer) *tgnats.Container {
	t.Helper()
	ctr, err := tgnats.Run(ctx, img, opts...)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatal(err)
	}
	logsOnFailure(t, "tgnats", ctr)
	return ctr
}

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
