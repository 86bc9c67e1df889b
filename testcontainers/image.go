package tgnats

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/testcontainers/testcontainers-go"
)

// The images are built FROM scratch around static binaries compiled on
// this machine, so that no base image has to be pulled: the recipe works
// on an engine without a registry. The repository's Dockerfile is the
// multi-stage recipe for machines that can pull golang and distroless.

// connectorDockerfile packs the connector binary. /data is a directory of
// the image owned by the non-root user with mode 0700: a volume mounted
// there starts with the same owner and mode.
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

// Repositories of the images BuildImage and BuildNATSImage tag.
const (
	ImageRepo     = "tgnats"
	NATSImageRepo = "tgnats-nats-server"
)

// BuildImage builds the connector image from a checkout of the tgnats
// source at srcDir (the directory holding its go.mod) and returns its
// tag, ready for Run. It needs the go command and a Docker engine, but no
// registry: the binary is compiled here with CGO_ENABLED=0 and packed
// FROM scratch. The tag is tgnats:<hash of the image's content>, so a
// rebuild of the same source finds the image and builds nothing. The
// first build compiles gotd's large generated packages: minutes, and
// about 4 GB of memory.
func BuildImage(ctx context.Context, srcDir string) (string, error) {
	return buildImage(ctx, srcDir, ImageRepo, "connector", "./cmd/connector", connectorDockerfile)
}

// BuildNATSImage builds a nats-server image the same way, from the
// nats-server version the tgnats module at srcDir requires, for
// WithNATSContainer.
func BuildNATSImage(ctx context.Context, srcDir string) (string, error) {
	return buildImage(ctx, srcDir, NATSImageRepo, "nats-server", "github.com/nats-io/nats-server/v2", natsDockerfile)
}

func buildImage(ctx context.Context, srcDir, repo, name, pkg, dockerfile string) (string, error) {
	if _, err := os.Stat(filepath.Join(srcDir, "go.mod")); err != nil {
		return "", fmt.Errorf("tgnats: build image: %s is not a tgnats source directory: %w", srcDir, err)
	}
	dir, err := os.MkdirTemp("", "tgnats-image-")
	if err != nil {
		return "", fmt.Errorf("tgnats: build image: %w", err)
	}
	defer os.RemoveAll(dir)
	// rootfs/data is copied as a directory (COPY of a directory copies
	// its contents), so /data keeps mode 0700.
	data := filepath.Join(dir, "rootfs", "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return "", fmt.Errorf("tgnats: build image: %w", err)
	}
	if err := os.Chmod(data, 0o700); err != nil {
		return "", fmt.Errorf("tgnats: build image: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", filepath.Join(dir, name), pkg)
	cmd.Dir = srcDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("tgnats: go build %s: %w\n%s", pkg, err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return "", fmt.Errorf("tgnats: build image: %w", err)
	}
	sum, err := contentHash(dockerfile, filepath.Join(dir, name))
	if err != nil {
		return "", fmt.Errorf("tgnats: build image: %w", err)
	}
	tag := repo + ":" + sum

	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoEngine, err)
	}
	defer cli.Close()
	if _, err := cli.ImageInspect(ctx, tag); err == nil {
		return tag, nil // built before from the same content
	}
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoEngine, err)
	}
	defer p.Close()
	req := testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context: dir, Dockerfile: "Dockerfile", Repo: repo, Tag: sum, KeepImage: true,
	}}
	if _, err := p.BuildImage(ctx, &req); err != nil {
		return "", fmt.Errorf("tgnats: docker build %s: %w", tag, err)
	}
	return tag, nil
}

// contentHash is a short hash of the Dockerfile and the binary.
func contentHash(dockerfile, binary string) (string, error) {
	h := sha256.New()
	io.WriteString(h, dockerfile)
	f, err := os.Open(binary)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
