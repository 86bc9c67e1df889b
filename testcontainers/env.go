package tgnats

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
)

// Labels Run puts on what it creates, so that PrepareEnv can find what an
// interrupted run left behind when the reaper is off.
const (
	labelOwner = "org.tgnats.testcontainers"
	labelPID   = "org.tgnats.testcontainers.pid"
	labelHost  = "org.tgnats.testcontainers.host"
)

// Environment variables of testcontainers-go that PrepareEnv may set.
const (
	envRyukDisabled = "TESTCONTAINERS_RYUK_DISABLED"
	envHostOverride = "TESTCONTAINERS_HOST_OVERRIDE"
)

// ErrNoEngine means no Docker engine answered; container tests skip on it.
var ErrNoEngine = errors.New("tgnats: no Docker engine answers")

// PrepareEnv adapts testcontainers-go to the engine it finds, for engines
// without an image registry or behind a sandbox's network. Call it once,
// from TestMain, before anything else of testcontainers runs: testcontainers-go
// reads its settings once, at its first use. It finds the engine as the
// Docker CLI does (DOCKER_HOST, else the default socket). It leaves
// every variable you set yourself alone, and returns one line per
// decision (empty when it decided nothing):
//
//   - The reaper (Ryuk) is an image testcontainers-go pulls. When it is
//     not on the engine already, PrepareEnv sets
//     TESTCONTAINERS_RYUK_DISABLED=true instead of letting every Run fail
//     on the pull; Terminate and CleanupContainer remove what Run made,
//     and PrepareEnv removes what an interrupted run (a killed test
//     process on this host) left behind.
//   - Inside a container (a /.dockerenv file) testcontainers-go looks for
//     published ports on the default gateway. When the engine's own
//     bridge interface is on this machine, the engine shares our network
//     and publishes on loopback: PrepareEnv sets
//     TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1.
//
// It returns ErrNoEngine when no engine answers.
func PrepareEnv(ctx context.Context) ([]string, error) {
	// A plain Docker client: testcontainers-go reads its configuration
	// once, at its first use, and the reaper setting must be decided
	// before that.
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoEngine, err)
	}
	defer cli.Close()
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(pingCtx); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoEngine, err)
	}
	var decided []string
	if _, set := os.LookupEnv(envRyukDisabled); !set {
		if !hasReaperImage(ctx, cli) {
			os.Setenv(envRyukDisabled, "true")
			decided = append(decided, "the reaper image (testcontainers/ryuk) is not on the engine and cannot be assumed pullable: running without it ("+envRyukDisabled+"=true); containers are removed by Terminate and by the next PrepareEnv")
		}
	}
	if os.Getenv(envRyukDisabled) == "true" {
		if n, err := removeOrphans(ctx, cli); err != nil {
			decided = append(decided, "could not remove containers left by interrupted runs: "+err.Error())
		} else if n > 0 {
			decided = append(decided, fmt.Sprintf("removed %d container(s) left by interrupted runs", n))
		}
	}
	if _, set := os.LookupEnv(envHostOverride); !set && inContainer() {
		if name, ok := localBridge(ctx, cli); ok {
			os.Setenv(envHostOverride, "127.0.0.1")
			decided = append(decided, "the engine's bridge "+name+" is on this machine: published ports are reached on 127.0.0.1 ("+envHostOverride+"=127.0.0.1)")
		}
	}
	return decided, nil
}

func hasReaperImage(ctx context.Context, cli *client.Client) bool {
	imgs, err := cli.ImageList(ctx, image.ListOptions{})
	if err != nil {
		return false
	}
	for _, img := range imgs {
		for _, tag := range img.RepoTags {
			if strings.Contains(tag, "testcontainers/ryuk") {
				return true
			}
		}
	}
	return false
}

// removeOrphans removes containers Run created in a process of this host
// that no longer runs.
func removeOrphans(ctx context.Context, cli *client.Client) (int, error) {
	host, _ := os.Hostname()
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", labelOwner))})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range list {
		if c.Labels[labelHost] != host {
			continue
		}
		pid, err := strconv.Atoi(c.Labels[labelPID])
		if err != nil || processAlive(pid) {
			continue
		}
		if err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func inContainer() bool {
	_, err := os.Stat("/.dockerenv")
	return err == nil
}

// localBridge reports whether the engine's default bridge interface is
// one of this machine's interfaces.
func localBridge(ctx context.Context, cli *client.Client) (string, bool) {
	nw, err := cli.NetworkInspect(ctx, "bridge", network.InspectOptions{})
	if err != nil {
		return "", false
	}
	name := nw.Options["com.docker.network.bridge.name"]
	if name == "" {
		name = "docker0"
	}
	if _, err := net.InterfaceByName(name); err != nil {
		return "", false
	}
	return name, true
}

// runLabels are the labels Run puts on its containers.
func runLabels() map[string]string {
	host, _ := os.Hostname()
	return map[string]string{labelOwner: "true", labelPID: strconv.Itoa(os.Getpid()), labelHost: host}
}
