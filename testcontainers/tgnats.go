package tgnats

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
)

const (
	// HTTPPort serves /metrics, /healthz and /readyz.
	HTTPPort = "9464/tcp"
	// NATSPort is the client port of the NATS server in the tgnats
	// container (embedded) or in the NATS container Run starts.
	NATSPort = "4222/tcp"
	// DataDir is the data directory inside the container (a volume in
	// the published image): connector state, simulated world, embedded NATS.
	DataDir = "/data"
	// ConfigPath is where WithConfigFile puts the configuration.
	ConfigPath = "/etc/tgnats/config.yaml"
	// DefaultAccount is the simulated account's name unless WithAccount.
	DefaultAccount = "main"
	// natsAlias is the NATS container's name on the network Run creates.
	natsAlias = "nats"
)

// Container is tgnats running `connector simulate` in a container.
type Container struct {
	testcontainers.Container
	account string
	// natsURL is the host-side URL of an external NATS (WithNATS).
	natsURL string
	// NATS is the NATS container Run started (WithNATSContainer), or nil.
	NATS    testcontainers.Container
	network *testcontainers.DockerNetwork
	// passwords are the 2FA passwords of the user accounts (users.go).
	passwords map[string]string

	mu sync.Mutex
	nc *nats.Conn // control connection, opened on first use
}

type options struct {
	account      string
	natsInside   string // URL tgnats uses (WithNATS)
	natsHost     string // URL the test uses (WithNATS)
	natsImage    string // WithNATSContainer
	rate         float64
	seed         int64
	configFile   string
	configReader io.Reader
	startTimeout time.Duration
	// users.go: a user account (WithUserAccount) or several (WithAccounts).
	phone, password string
	accounts        []AccountSpec
}

// Option is a tgnats setting. It is also a ContainerCustomizer, so it goes
// in Run's list together with testcontainers' own options (WithEnv, …).
type Option func(*options)

// Customize implements testcontainers.ContainerCustomizer; the setting is
// applied by Run.
func (Option) Customize(*testcontainers.GenericContainerRequest) error { return nil }

// WithAccount names the simulated account (default "main"): subjects are
// tg.<account>.… and tgsim.<account>.control.….
func WithAccount(name string) Option { return func(o *options) { o.account = name } }

// WithNATS uses your NATS server: insideURL is how the tgnats container
// reaches it (e.g. nats://nats:4222 on a shared network; several URLs
// comma-separated for a cluster), hostURL how the test process does (the
// mapped port); NATSURL returns hostURL.
func WithNATS(insideURL, hostURL string) Option {
	return func(o *options) { o.natsInside, o.natsHost = insideURL, hostURL }
}

// WithNATSContainer starts a NATS server (image img, run with -js) on a
// new network shared with tgnats, instead of the NATS embedded in the
// tgnats container. Terminate removes both and the network.
func WithNATSContainer(img string) Option { return func(o *options) { o.natsImage = img } }

// WithRate makes the simulator generate traffic at rate actions per second
// from the start (default 0: only what the test injects). StartTraffic
// starts it later.
func WithRate(rate float64) Option { return func(o *options) { o.rate = rate } }

// WithSeed picks the generated traffic's random sequence (default 1).
func WithSeed(seed int64) Option { return func(o *options) { o.seed = seed } }

// WithConfigFile puts a connector configuration (YAML, see the
// connector's example-config.yaml) read from r into the container, as
// the upstream NATS module's option of that name does; its accounts are
// replaced by the simulated one. TGNATS_* variables
// (testcontainers.WithEnv) override it.
func WithConfigFile(r io.Reader) Option {
	return func(o *options) { o.configReader, o.configFile = r, "" }
}

// WithConfigPath is WithConfigFile for a file on the host.
func WithConfigPath(hostPath string) Option {
	return func(o *options) { o.configFile, o.configReader = hostPath, nil }
}

// WithStartupTimeout bounds the wait for /readyz (default 90s).
func WithStartupTimeout(d time.Duration) Option { return func(o *options) { o.startTimeout = d } }

// Run starts tgnats from img in simulator mode and waits until it is ready.
// On error the returned container, when not nil, must still be terminated
// (testcontainers.CleanupContainer does it).
func Run(ctx context.Context, img string, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	o := options{account: DefaultAccount, seed: 1, startTimeout: 90 * time.Second}
	for _, opt := range opts {
		if apply, ok := opt.(Option); ok {
			apply(&o)
		}
	}
	if o.natsImage != "" && o.natsInside != "" {
		return nil, errors.New("tgnats: WithNATS and WithNATSContainer exclude each other")
	}
	c := &Container{account: o.account, natsURL: o.natsHost}
	accountFlags, err := o.accountFlags(c)
	if err != nil {
		return nil, err
	}
	cmd := append([]string{"simulate"}, accountFlags...)
	cmd = append(cmd,
		"--data-dir", DataDir,
		"--http-listen", "0.0.0.0:9464",
		"--rate", strconv.FormatFloat(o.rate, 'g', -1, 64),
		"--seed", strconv.FormatInt(o.seed, 10),
	)
	req := testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:        img,
			Labels:       runLabels(),
			ExposedPorts: []string{HTTPPort},
			WaitingFor:   o.readiness(),
		},
		Started: true,
	}
	var extra []testcontainers.ContainerCustomizer
	switch {
	case o.natsImage != "":
		nw, err := tcnetwork.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("tgnats: network: %w", err)
		}
		c.network = nw
		natsReq := testcontainers.GenericContainerRequest{
			ContainerRequest: testcontainers.ContainerRequest{
				Image:        o.natsImage,
				Labels:       runLabels(),
				Cmd:          []string{"-js", "-sd", "/data/jetstream"},
				ExposedPorts: []string{NATSPort},
				WaitingFor:   wait.ForListeningPort(NATSPort).WithStartupTimeout(o.startTimeout),
			},
			Started: true,
		}
		if err := tcnetwork.WithNetwork([]string{natsAlias}, nw).Customize(&natsReq); err != nil {
			return c, fmt.Errorf("tgnats: nats container: %w", err)
		}
		nc, err := testcontainers.GenericContainer(ctx, natsReq)
		c.NATS = nc
		if err != nil {
			return c, fmt.Errorf("tgnats: nats container: %w", err)
		}
		cmd = append(cmd, "--nats-url", "nats://"+natsAlias+":4222")
		extra = append(extra, tcnetwork.WithNetwork(nil, nw))
	case o.natsInside != "":
		cmd = append(cmd, "--nats-url", o.natsInside)
	default:
		cmd = append(cmd, "--nats-listen", "0.0.0.0:4222")
		req.ExposedPorts = append(req.ExposedPorts, NATSPort)
	}
	switch {
	case o.configFile != "":
		cmd = append(cmd, "--config", ConfigPath)
		req.Files = append(req.Files, testcontainers.ContainerFile{HostFilePath: o.configFile, ContainerFilePath: ConfigPath, FileMode: 0o644})
	case o.configReader != nil:
		cmd = append(cmd, "--config", ConfigPath)
		req.Files = append(req.Files, testcontainers.ContainerFile{Reader: o.configReader, ContainerFilePath: ConfigPath, FileMode: 0o644})
	}
	req.Cmd = cmd
	for _, opt := range append(extra, opts...) {
		if err := opt.Customize(&req); err != nil {
			return c, fmt.Errorf("tgnats: customize: %w", err)
		}
	}
	ctr, err := testcontainers.GenericContainer(ctx, req)
	c.Container = ctr
	if err != nil {
		return c, fmt.Errorf("tgnats: generic container: %w", err)
	}
	return c, nil
}

// Account is the simulated account's name.
func (c *Container) Account() string { return c.account }

// ConnectionString is the URL a test process connects to NATS with, as
// the upstream NATS module names it; NATSURL is the same.
func (c *Container) ConnectionString(ctx context.Context) (string, error) {
	return c.NATSURL(ctx)
}

// NATSURL is the URL a test process connects to NATS with.
func (c *Container) NATSURL(ctx context.Context) (string, error) {
	switch {
	case c.natsURL != "":
		return c.natsURL, nil
	case c.NATS != nil:
		return c.NATS.PortEndpoint(ctx, NATSPort, "nats")
	}
	return c.PortEndpoint(ctx, NATSPort, "nats")
}

// MetricsURL is the URL of the connector's Prometheus metrics.
func (c *Container) MetricsURL(ctx context.Context) (string, error) {
	base, err := c.PortEndpoint(ctx, HTTPPort, "http")
	if err != nil {
		return "", fmt.Errorf("tgnats: metrics url: %w", err)
	}
	return base + "/metrics", nil
}

// Terminate closes the control connection and removes the container and
// what Run created with it (NATS container, network).
func (c *Container) Terminate(ctx context.Context, opts ...testcontainers.TerminateOption) error {
	c.mu.Lock()
	if c.nc != nil {
		c.nc.Close()
		c.nc = nil
	}
	c.mu.Unlock()
	var errs []error
	if c.Container != nil {
		errs = append(errs, c.Container.Terminate(ctx, opts...))
	}
	if c.NATS != nil {
		errs = append(errs, c.NATS.Terminate(ctx, opts...))
	}
	if c.network != nil {
		errs = append(errs, c.network.Remove(ctx))
	}
	return errors.Join(errs...)
}
