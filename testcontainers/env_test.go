package tgnats_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/testcontainers/testcontainers-go"

	tgnats "github.com/tgnats/tgnats/testcontainers"
)

// TestPrepareEnvRemovesOrphans: without the reaper, containers left by a
// test process that died (kill -9, a timeout) are removed by the next
// PrepareEnv; those of a live process are kept.
func TestPrepareEnvRemovesOrphans(t *testing.T) {
	imgs := images(t)
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") != "true" {
		t.Skip("the reaper runs here: it removes orphans itself")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	create := func(pid int) string {
		t.Helper()
		labels := map[string]string{
			"org.tgnats.testcontainers":      "true",
			"org.tgnats.testcontainers.pid":  strconv.Itoa(pid),
			"org.tgnats.testcontainers.host": host,
		}
		c, err := cli.ContainerCreate(ctx, &container.Config{Image: imgs.nats, Labels: labels}, nil, nil, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cli.ContainerRemove(context.Background(), c.ID, container.RemoveOptions{Force: true}) })
		return c.ID
	}
	orphan, live := create(dead.Process.Pid), create(os.Getpid())

	notes, err := tgnats.PrepareEnv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("PrepareEnv: %q", notes)
	if _, err := cli.ContainerInspect(ctx, orphan); err == nil {
		t.Fatal("the container of a dead test process is still there")
	}
	if _, err := cli.ContainerInspect(ctx, live); err != nil {
		t.Fatalf("the container of a running test process was removed: %v", err)
	}
}
