package tgnats_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	tgnats "github.com/tgnats/tgnats/testcontainers"
)

// noEngine is why the container tests skip, when no Docker engine answers.
var noEngine error

// TestMain lets the module adapt testcontainers-go to this machine's
// engine (no registry, a sandbox network) before any test starts, so
// `go test ./...` needs no variable set by hand.
func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	decided, err := tgnats.PrepareEnv(ctx)
	cancel()
	switch {
	case errors.Is(err, tgnats.ErrNoEngine):
		noEngine = err
	case err != nil:
		fmt.Fprintln(os.Stderr, "prepare testcontainers:", err)
		os.Exit(1)
	}
	for _, line := range decided {
		fmt.Fprintln(os.Stderr, "tgnats testcontainers:", line)
	}
	os.Exit(m.Run())
}

// The images the tests use are built by the module's own BuildImage and
// BuildNATSImage, the recipe the README gives users: FROM scratch, from
// binaries compiled here, since the engine has no registry to pull from.
type testImages struct {
	connector, nats string
}

var buildImages = sync.OnceValues(func() (testImages, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	start := time.Now()
	var imgs testImages
	var err error
	if imgs.connector, err = tgnats.BuildImage(ctx, ".."); err != nil {
		return imgs, err
	}
	if imgs.nats, err = tgnats.BuildNATSImage(ctx, ".."); err != nil {
		return imgs, err
	}
	fmt.Fprintf(os.Stderr, "images %s and %s ready in %s\n", imgs.connector, imgs.nats, time.Since(start).Round(time.Second))
	return imgs, nil
})

// images skips the test without a Docker engine and returns the images.
func images(t *testing.T) testImages {
	t.Helper()
	if noEngine != nil {
		t.Skipf("container tests need a Docker engine: %v", noEngine)
	}
	imgs, err := buildImages()
	if err != nil {
		t.Fatalf("build test images: %v", err)
	}
	return imgs
}
