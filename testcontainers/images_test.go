package tgnats_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
)

// The images the tests use are built here, FROM scratch, from binaries
// the test compiles: the engine has no registry to pull base images from.
// Tags carry a hash of their content, so later runs reuse them.

const connectorDockerfile = `FROM scratch
COPY connector /connector
COPY --chown=65532:65532 rootfs/ /
USER 65532:65532
VOLUME ["/data"]
ENV TGNATS_DATA_DIR=/data TGNATS_HTTP_LISTEN=0.0.0.0:9464
EXPOSE 9464 4222
HEALTHCHECK --interval=5s --timeout=3s CMD ["/connector", "healthcheck"]
ENTRYPOINT ["/connector"]
`

const natsDockerfile = `FROM scratch
COPY nats-server /nats-server
EXPOSE 4222 6222 8222
ENTRYPOINT ["/nats-server"]
`

type testImages struct {
	connector, nats string
}

var buildImages = sync.OnceValues(func() (testImages, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	bin, err := os.MkdirTemp("", "tgnats-images-")
	if err != nil {
		return testImages{}, err
	}
	defer os.RemoveAll(bin)
	var imgs testImages
	imgs.connector, err = buildImage(ctx, bin, "connector", "github.com/tgnats/tgnats/cmd/connector", connectorDockerfile)
	if err != nil {
		return imgs, err
	}
	imgs.nats, err = buildImage(ctx, bin, "nats-server", "github.com/nats-io/nats-server/v2", natsDockerfile)
	return imgs, err
})

// images skips the test without a Docker engine and returns the images.
func images(t *testing.T) testImages {
	t.Helper()
	testcontainers.SkipIfProviderIsNotHealthy(t)
	imgs, err := buildImages()
	if err != nil {
		t.Fatalf("build test images: %v", err)
	}
	return imgs
}

// buildImage compiles pkg (from the connector's module, the parent
// directory) into a static binary and builds a scratch image around it.
func buildImage(ctx context.Context, tmp, name, pkg, dockerfile string) (string, error) {
	// rootfs/data is copied as a directory (COPY of a directory copies its
	// contents), so /data keeps mode 0700.
	dir := filepath.Join(tmp, name)
	data := filepath.Join(dir, "rootfs", "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return "", err
	}
	if err := os.Chmod(data, 0o700); err != nil {
		return "", err
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", filepath.Join(dir, name), pkg)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return "", err
	}
	h := sha256.New()
	io.WriteString(h, dockerfile)
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return "", err
	}
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return "", err
	}
	tag := "tgnats-test/" + name + ":" + hex.EncodeToString(h.Sum(nil))[:16]

	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return "", err
	}
	defer cli.Close()
	if _, err := cli.ImageInspect(ctx, tag); err == nil {
		return tag, nil // built by an earlier run
	}
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return "", err
	}
	defer p.Close()
	req := testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context: dir, Dockerfile: "Dockerfile", Repo: "tgnats-test/" + name, Tag: tag[len("tgnats-test/"+name+":"):], KeepImage: true,
	}}
	if _, err := p.BuildImage(ctx, &req); err != nil {
		return "", fmt.Errorf("docker build %s: %w", tag, err)
	}
	fmt.Fprintf(os.Stderr, "built image %s in %s\n", tag, time.Since(start).Round(time.Second))
	return tag, nil
}
