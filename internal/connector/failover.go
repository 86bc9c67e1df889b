package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/internal/lease"
	"github.com/tgnats/tgnats/internal/provision"
	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

// replicas runs accounts under a lease (DESIGN.md §7), with checkpoints in
// NATS KV when configured. A nil *replicas runs them unconditionally.
type replicas struct {
	cfg      config.Lease
	replicas int
	node     string
	drain    time.Duration // outbox.drain_timeout: how long a stop waits for the last checkpoint
	js       jetstream.JetStream
	metrics  *lease.Metrics
	log      *slog.Logger
}

// newReplicas returns nil when leases are off or the NATS server is embedded
// (one process by construction).
func newReplicas(cfg *config.Config, js jetstream.JetStream, reg prometheus.Registerer, log *slog.Logger) *replicas {
	if !cfg.Lease.Enabled || cfg.NATS.URL == "" {
		return nil
	}
	r := &replicas{
		cfg:      cfg.Lease,
		replicas: cfg.NATS.Stream.Replicas,
		node:     cfg.Lease.NodeName(),
		drain:    cfg.Outbox.DrainTimeout,
		js:       js,
		metrics:  lease.NewMetrics(reg),
		log:      log,
	}
	log.Info("accounts run under a NATS KV lease", "node", r.node, "ttl", r.cfg.TTL, "bucket", r.cfg.Bucket)
	return r
}

// run calls serve for account a whenever this process holds its lease, with
// a context cancelled as soon as the lease is lost. It returns when ctx is
// done (nil) or serve fails while the lease is held.
func (r *replicas) run(ctx context.Context, a *account, serve func(context.Context) error) error {
	log := r.log.With("account", a.name)
	var leases, checkpoints jetstream.KeyValue
	err := retry(ctx, log, "lease bucket", func(ctx context.Context) (err error) {
		leases, err = provision.EnsureLeaseBucket(ctx, r.js, provision.LeaseBucket{Name: r.cfg.Bucket, TTL: r.cfg.TTL, Replicas: r.replicas})
		return err
	})
	if err != nil {
		return nil // ctx done
	}
	if r.cfg.CheckpointBucket != "" {
		err := retry(ctx, log, "checkpoint bucket", func(ctx context.Context) (err error) {
			checkpoints, err = provision.EnsureCheckpointBucket(ctx, r.js, r.cfg.CheckpointBucket, r.replicas)
			return err
		})
		if err != nil {
			return nil
		}
		if !a.store.Sealed() {
			log.Warn("checkpoints hold the Telegram session unencrypted in NATS KV: set state.encryption_key")
		}
	}
	l, err := lease.New(lease.Config{KV: leases, Key: a.name, Node: r.node, TTL: r.cfg.TTL, Metrics: r.metrics, Logger: log})
	if err != nil {
		return err
	}
	return l.Run(ctx, func(ctx context.Context, _ uint64) error {
		if checkpoints == nil {
			return serve(ctx)
		}
		cp := &checkpointer{
			kv: checkpoints, a: a, held: l.Held, every: r.cfg.CheckpointInterval, finalWait: r.drain,
			streamLast: streamLast(r.js, a.name), log: log,
		}
		if err := cp.restore(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		serveCtx, stop := context.WithCancel(ctx)
		defer stop()
		done := make(chan struct{})
		go func() {
			defer close(done)
			cp.run(serveCtx, stop)
		}()
		err := serve(serveCtx)
		stop()
		<-done
		if ctx.Err() == nil || !errors.Is(context.Cause(ctx), lease.ErrLost) {
			cp.final(context.WithoutCancel(ctx))
		}
		return err
	})
}

// retry calls fn until it succeeds or ctx is done, with backoff.
func retry(ctx context.Context, log *slog.Logger, what string, fn func(context.Context) error) error {
	delay := 250 * time.Millisecond
	for {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := fn(cctx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Warn("cannot set up "+what+" yet; retrying", "error", err, "in", delay)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 10*time.Second)
	}
}

// checkpointer writes the account's checkpoint while it holds the lease.
type checkpointer struct {
	kv    jetstream.KeyValue
	a     *account
	held  func() bool
	every time.Duration
	// finalWait bounds how long a stop waits for the outbox before it
	// writes the last checkpoint (the drain deadline).
	finalWait time.Duration
	// streamLast returns the last sequence of the account's events stream.
	streamLast func(context.Context) (uint64, error)
	log        *slog.Logger
	rev        uint64   // of the checkpoint last read or written: the write fence
	written    [32]byte // digest of the last checkpoint written
}

// errFenced reports a checkpoint written by another node since ours.
var errFenced = errors.New("checkpoint written by another node")

// restore reads the account's checkpoint and imports it when it is ahead of
// the local store, before the account connects to Telegram.
func (c *checkpointer) restore(ctx context.Context) error {
	var e jetstream.KeyValueEntry
	err := retry(ctx, c.log, "checkpoint read", func(ctx context.Context) (err error) {
		e, err = c.kv.Get(ctx, c.a.name)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			e, err = nil, nil
		}
		return err
	})
	if err != nil || e == nil {
		return err
	}
	c.rev = e.Revision()
	var last uint64
	if err := retry(ctx, c.log, "events stream lookup", func(ctx context.Context) (err error) {
		last, err = c.streamLast(ctx)
		return err
	}); err != nil {
		return err
	}
	restored, err := c.a.store.ImportCheckpoint(e.Value(), last)
	if errors.Is(err, state.ErrOldCheckpoint) {
		// Written before an upgrade: not trusted, replaced by the next write.
		c.log.Warn("ignoring the NATS checkpoint of an older format; starting from the local state", "revision", c.rev, "error", err)
		return nil
	}
	if errors.Is(err, state.ErrRefused) {
		return fmt.Errorf("restore checkpoint: %w; the account does not start from it: check who can write the %s bucket, then delete its key %s to start without a checkpoint", err, c.kv.Bucket(), c.a.name)
	}
	if err != nil {
		return fmt.Errorf("restore checkpoint: %w", err)
	}
	if restored {
		c.log.Info("state restored from the NATS checkpoint; the rest comes from getDifference", "revision", c.rev)
	} else {
		c.log.Info("local state is not behind the NATS checkpoint; keeping it", "revision", c.rev)
	}
	return nil
}

// run writes a checkpoint every interval until ctx is done; it calls stop
// when another node's checkpoint shows this one is no longer the leader.
func (c *checkpointer) run(ctx context.Context, stop context.CancelFunc) {
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := c.write(ctx); err != nil {
			if errors.Is(err, errFenced) {
				c.log.Error("another node wrote the checkpoint; stopping the account", "error", err)
				stop()
				return
			}
			if ctx.Err() == nil {
				c.log.Warn("checkpoint not written", "error", err)
			}
		}
	}
}

// final writes a last checkpoint on a clean stop once the outbox is
// acknowledged, waiting at most finalWait (the drain deadline). Without it
// the standby starts from the previous checkpoint, which is never ahead of
// JetStream, and fetches the rest from Telegram (JetStream drops the
// events it already holds by their ids).
func (c *checkpointer) final(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, c.finalWait)
	defer cancel()
	if err := c.write(ctx); err != nil {
		c.log.Info("no final checkpoint; the standby starts from the previous one", "error", err)
	}
}

// streamLast returns a function reading the last sequence of account's
// events stream (0 while there is no stream).
func streamLast(js jetstream.StreamManager, account string) func(context.Context) (uint64, error) {
	name := schema.EventStreamName(account)
	return func(ctx context.Context) (uint64, error) {
		st, err := js.Stream(ctx, name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("events stream %s: %w", name, err)
		}
		return st.CachedInfo().State.LastSeq, nil
	}
}

// write snapshots the store and writes the snapshot once every event up to
// it is acknowledged by JetStream, fenced by the lease and the revision.
func (c *checkpointer) write(ctx context.Context) error {
	cp, err := c.a.store.ExportCheckpoint()
	if errors.Is(err, state.ErrNotFound) {
		return nil // not logged in and caught up yet: nothing to take over from
	}
	if err != nil {
		return err
	}
	if c.rev != 0 && cp.Digest == c.written {
		return nil // unchanged since the last write
	}
	for !c.a.store.OutboxAckedThrough(cp.UpTo) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("outbox not acknowledged up to seq %d: %w", cp.UpTo, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	// Every event of cp is in the stream now: its last sequence bounds
	// what the checkpoint may claim.
	last, err := c.streamLast(ctx)
	if err != nil {
		return err
	}
	data, err := c.a.store.SealCheckpoint(cp, last)
	if err != nil {
		return err
	}
	if !c.held() {
		return errors.New("lease not held")
	}
	var rev uint64
	if c.rev == 0 {
		rev, err = c.kv.Create(ctx, c.a.name, data)
	} else {
		rev, err = c.kv.Update(ctx, c.a.name, data, c.rev)
	}
	if errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("%w: %w", errFenced, err)
	}
	if err != nil {
		return err
	}
	c.rev, c.written = rev, cp.Digest
	c.log.Debug("checkpoint written", "revision", rev, "outbox_seq", cp.UpTo, "stream_seq", last, "bytes", len(data))
	return nil
}

// attemptLogger logs failed NATS connection attempts once per distinct
// error, not once per attempt.
func attemptLogger(log *slog.Logger) nats.ConnErrHandler {
	var (
		mu   sync.Mutex
		last string
	)
	return func(_ *nats.Conn, err error) {
		if err == nil {
			return
		}
		mu.Lock()
		changed := err.Error() != last
		last = err.Error()
		mu.Unlock()
		if changed {
			log.Warn("NATS connection attempt failed; retrying", "error", err)
		}
	}
}
