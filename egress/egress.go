package egress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"

	"github.com/tgnats/tgnats/internal/provision"
	"github.com/tgnats/tgnats/schema"
)

// ErrRunning reports a second Run of one Egress.
var ErrRunning = errors.New("egress: already running")

// Egress executes commands of one account on Telegram.
type Egress struct {
	cfg     Config
	log     *slog.Logger
	allow   *allowList
	lim     *limiter
	metrics *metrics
	clock   *tgClock
	peers   *lookups

	mu      sync.Mutex
	running bool
	serving atomic.Bool              // rpc endpoints registered and the stream consumed
	held    map[uint64]jetstream.Msg // stream commands queued or executing, by stream seq
	lanes   map[string]*lane
	wg      sync.WaitGroup
	sem     chan struct{}
	files   fileStore // the Object Store bucket of files, on first use (files.go)
	auto    autoState // automatic downloads (autodl.go)
}

// New checks cfg and returns an Egress; Run starts it.
func New(cfg Config) (*Egress, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	allow, _ := parseAllowList(cfg.AllowPeers)
	if cfg.Files.PartialDir != "" {
		if err := preparePartialDir(cfg.Files.PartialDir, cfg.Files.Deadline, cfg.Now()); err != nil {
			return nil, err
		}
	}
	m := newMetrics(cfg.Registerer, cfg.Account)
	lim := newLimiter(&cfg, m)
	registerPauses(cfg.Registerer, cfg.Account, lim)
	return &Egress{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "egress", "account", cfg.Account),
		allow:   allow,
		lim:     lim,
		metrics: m,
		clock:   &tgClock{now: cfg.Now},
		peers:   newLookups(),
		held:    map[uint64]jetstream.Msg{},
		lanes:   map[string]*lane{},
		sem:     make(chan struct{}, cfg.MaxConcurrent),
		auto:    autoState{sem: make(chan struct{}, cfg.Files.Auto.Parallel)},
	}, nil
}

// StreamName returns the commands stream's name, schema.CommandStreamName.
func StreamName(account string) string { return schema.CommandStreamName(account) }

// ServiceName returns the micro service's name, schema.ServiceName.
func ServiceName(account string) string { return schema.ServiceName(account) }

// RPCSubject returns the subject of a command name, schema.RPCSubject.
func RPCSubject(prefix, account, name string) string {
	return schema.RPCSubject(prefix, account, name)
}

// CommandSubject returns the subject of a stream command, schema.CommandSubject.
func CommandSubject(prefix, account, name string) string {
	return schema.CommandSubject(prefix, account, name)
}

// Serving reports whether Run has registered the rpc endpoints and consumes
// the commands stream: a request sent before that finds no responder.
func (e *Egress) Serving() bool { return e.serving.Load() }

// Run creates or updates the commands stream and its durable consumer,
// serves the rpc micro service, and executes commands until ctx is done.
// Then it stops taking commands, cancels those in flight (stream ones are
// redelivered later, rpc ones are answered TIMEOUT) and returns nil.
func (e *Egress) Run(ctx context.Context) error {
	e.mu.Lock()
	if e.running {
		e.mu.Unlock()
		return ErrRunning
	}
	e.running = true
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.running = false
		e.mu.Unlock()
	}()

	stream, err := provision.EnsureCommandStream(ctx, e.cfg.JS, e.cfg.Prefix, e.cfg.Account)
	if err != nil {
		return fmt.Errorf("egress: commands stream: %w", err)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       ConsumerName,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       e.cfg.AckWait, // redelivery after a crash; held commands send progress acks
		MaxAckPending: e.cfg.MaxPending,
		MaxDeliver:    -1,
	})
	if err != nil {
		return fmt.Errorf("egress: commands consumer: %w", err)
	}

	work, cancel := context.WithCancel(ctx)
	defer cancel()

	svc, err := micro.AddService(e.cfg.NC, micro.Config{
		Name:        ServiceName(e.cfg.Account),
		Version:     "1.0.0",
		Description: "tgnats commands of account " + e.cfg.Account,
	})
	if err != nil {
		return fmt.Errorf("egress: rpc service: %w", err)
	}
	defer func() { _ = svc.Stop() }()
	for _, name := range schema.CommandNames() {
		handler := micro.HandlerFunc(func(req micro.Request) { e.serveRPC(work, name, req) })
		endpoint := strings.ReplaceAll(name, ".", "_")
		if err := svc.AddEndpoint(endpoint, handler, micro.WithEndpointSubject(RPCSubject(e.cfg.Prefix, e.cfg.Account, name)),
			micro.WithEndpointMetadata(map[string]string{"action": name, "schema": schema.DataSchema(schema.KindCommand, name)})); err != nil {
			return fmt.Errorf("egress: rpc endpoint %s: %w", name, err)
		}
	}

	// Requests to commands that do not exist get UNKNOWN_ACTION instead of
	// "no responders". This endpoint sees every rpc request (NATS delivers
	// to both subscriptions) and stays silent for known commands.
	unknown := micro.HandlerFunc(func(req micro.Request) {
		name := strings.TrimPrefix(req.Subject(), RPCSubject(e.cfg.Prefix, e.cfg.Account, ""))
		if commandLabel(name) == "unknown" {
			e.serveRPC(work, name, req)
		}
	})
	// Its own queue group: in the service's group it would take requests
	// away from the endpoints of known commands.
	if err := svc.AddEndpoint("unknown_action", unknown, micro.WithEndpointSubject(RPCSubject(e.cfg.Prefix, e.cfg.Account, ">")),
		micro.WithEndpointQueueGroup("tgnats-unknown-action")); err != nil {
		return fmt.Errorf("egress: rpc endpoint for unknown actions: %w", err)
	}

	cc, err := cons.Consume(func(msg jetstream.Msg) { e.serveStream(work, msg) })
	if err != nil {
		return fmt.Errorf("egress: consume commands: %w", err)
	}
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		e.keepHeld(work)
	}()
	e.serving.Store(true)
	defer e.serving.Store(false)
	e.log.Info("serving commands", "stream", StreamName(e.cfg.Account), "service", ServiceName(e.cfg.Account))

	<-ctx.Done()
	// Stop in an order that loses nothing: cancel the work (lanes hand
	// their commands back, in order, with Nak), then hand back what the
	// client had fetched but not yet given to serveStream.
	cancel()
	_ = svc.Stop()
	cc.Drain()
	select {
	case <-cc.Closed():
	case <-time.After(5 * time.Second):
		cc.Stop() // the rest is redelivered after AckWait
	}
	e.wg.Wait()
	<-progressDone
	e.log.Info("stopped serving commands")
	return nil
}

// keepHeld sends a progress ack for every held stream command each
// AckWait/3, so that a command waiting its turn in a lane (or a rate
// limit) is not redelivered and run a second time.
func (e *Egress) keepHeld(ctx context.Context) {
	t := time.NewTicker(max(e.cfg.AckWait/3, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		e.mu.Lock()
		msgs := make([]jetstream.Msg, 0, len(e.held))
		for _, m := range e.held {
			msgs = append(msgs, m)
		}
		e.mu.Unlock()
		for _, m := range msgs {
			if ctx.Err() != nil {
				return
			}
			if err := m.InProgress(); err != nil {
				e.log.Debug("progress ack failed", "error", err)
			}
		}
	}
}

// serveRPC answers one request. Each runs on its own goroutine, at most
// MaxConcurrent at once (the subscription waits beyond that).
func (e *Egress) serveRPC(ctx context.Context, name string, req micro.Request) {
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	e.metrics.queued.Inc()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer func() { <-e.sem; e.metrics.queued.Dec() }()
		c := e.newCommand(name, req.Data(), nats.Header(req.Headers()), e.cfg.Now().Add(e.deadline(name)))
		o := e.execRPC(ctx, c)
		if err := e.finish(c, o); err != nil {
			e.log.Error("command result not made durable", "command_id", c.id, "error", err)
		}
		if err := req.RespondJSON(o.result); err != nil {
			e.log.Warn("rpc reply failed", "command_id", c.id, "error", err)
		}
	}()
}

// execRPC runs an rpc command; stopping answers TIMEOUT.
func (e *Egress) execRPC(ctx context.Context, c *command) outcome {
	o := e.execute(ctx, c)
	if o.retry > 0 {
		return outcome{result: e.result(c, o.peer, nil, &schema.CommandError{Code: schema.CodeTimeout, Message: "the connector is stopping"}), peer: o.peer}
	}
	return o
}

// execute attempts c and retries transient failures in place, with a
// growing pause (at most the one the failure asks for), until one attempt
// is final or the next would start after c's deadline: then the outcome
// is TIMEOUT. When ctx ends it returns the last attempt's outcome, whose
// retry is then > 0 unless that attempt was final. A stream command is
// retried in its lane's turn, as an rpc one on its goroutine: handing it
// back to the stream would queue it behind its chat's later commands
// while its deadline ran on, and reorder the chat's commands.
func (e *Egress) execute(ctx context.Context, c *command) outcome {
	backoff := 100 * time.Millisecond
	for {
		o := e.attempt(ctx, c)
		if o.retry == 0 || ctx.Err() != nil {
			return o
		}
		wait := min(o.retry, backoff)
		if e.cfg.Now().Add(wait).After(c.deadline) {
			return outcome{result: e.result(c, o.peer, nil, &schema.CommandError{Code: schema.CodeTimeout,
				Message: "the command did not finish before its deadline"}), peer: o.peer}
		}
		e.metrics.commands.WithLabelValues(e.cfg.Account, commandLabel(c.name), "retried").Inc()
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return o
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// serveStream queues a stream message on the lane of its chat, so commands
// to one chat run in the order they were published. A redelivery of a
// command this process still holds is dropped: it runs once.
func (e *Egress) serveStream(ctx context.Context, msg jetstream.Msg) {
	if ctx.Err() != nil {
		_ = msg.Nak() // stopping: for the next run
		return
	}
	var seq uint64
	if meta, err := msg.Metadata(); err == nil {
		seq = meta.Sequence.Stream
	}
	e.mu.Lock()
	if _, ok := e.held[seq]; ok {
		e.mu.Unlock()
		e.log.Debug("redelivery of a held command ignored", "seq", seq)
		return
	}
	if seq != 0 {
		e.held[seq] = msg
	}
	e.mu.Unlock()
	name := strings.TrimPrefix(msg.Subject(), CommandSubject(e.cfg.Prefix, e.cfg.Account, ""))
	lane := name
	if cmd, err := schema.ParseCommand(name, msg.Data()); err == nil {
		if ps := cmd.Peers(); len(ps) > 0 {
			lane = ps[0].String()
		}
	}
	e.metrics.queued.Inc()
	e.submit(lane, func() {
		defer e.metrics.queued.Dec()
		defer func() {
			e.mu.Lock()
			delete(e.held, seq)
			e.mu.Unlock()
		}()
		e.execStream(ctx, name, msg)
	})
}

// execStream runs a stream command when its lane's turn comes. The
// deadline counts from then: time spent queued behind the chat's earlier
// commands is not the command's. A command not yet sent to Telegram when
// the process stops is handed back (Nak) to run after a restart or on
// the replica that takes over; it never fails for the stop.
func (e *Egress) execStream(ctx context.Context, name string, msg jetstream.Msg) {
	if ctx.Err() != nil {
		_ = msg.Nak()
		return
	}
	c := e.newCommand(name, msg.Data(), msg.Headers(), e.cfg.Now().Add(e.deadline(name)))
	o := e.execute(ctx, c)
	if ctx.Err() != nil && (o.retry > 0 || !c.called) {
		_ = msg.Nak() // stopping before Telegram was called, or with its answer unknown
		return
	}
	if err := e.finish(c, o); err != nil {
		e.log.Error("command result not made durable; redelivering", "command_id", c.id, "error", err)
		_ = msg.NakWithDelay(time.Second)
		return
	}
	if o.result.OK {
		_ = msg.Ack()
	} else {
		_ = msg.TermWithReason(o.result.Error.Code)
	}
}

// lane runs the commands of one chat one after another.
type lane struct {
	queue []func()
}

func (e *Egress) submit(key string, fn func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if l, ok := e.lanes[key]; ok {
		l.queue = append(l.queue, fn)
		return
	}
	l := &lane{queue: []func(){fn}}
	e.lanes[key] = l
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for {
			e.mu.Lock()
			if len(l.queue) == 0 {
				delete(e.lanes, key)
				e.mu.Unlock()
				return
			}
			next := l.queue[0]
			l.queue = l.queue[1:]
			e.mu.Unlock()
			next()
		}
	}()
}
