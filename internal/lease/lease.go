package lease

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// Sentinel errors; callers branch on them with errors.Is.
var (
	// ErrLost is the cause of the lead context's cancellation when the lease
	// was lost (context.Cause).
	ErrLost = errors.New("lease: lost")
	// ErrInvalid reports a Config that cannot work.
	ErrInvalid = errors.New("lease: invalid config")
)

// KV is the part of a JetStream key-value bucket a lease uses;
// jetstream.KeyValue satisfies it.
type KV interface {
	Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error)
	Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error)
	Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error)
	Delete(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error
}

var _ KV = jetstream.KeyValue(nil)

// Config configures a Leader.
type Config struct {
	// KV is the lease bucket; its TTL must be Config.TTL (see provision.EnsureLeaseBucket).
	KV KV
	// Key is the leased name, the account.
	Key string
	// Node names this process in the lease value, for operators.
	Node string
	// TTL is the bucket's TTL: how long a lease lasts without renewal.
	TTL time.Duration
	// Renew is the renewal period, default TTL/3.
	Renew time.Duration
	// Margin is how long before the TTL the holder gives up when no renewal
	// succeeded, default TTL/4. It must cover stopping the Telegram client.
	Margin time.Duration
	// Retry is how often a standby tries to acquire, default TTL/4.
	Retry time.Duration
	// Metrics, shared by the leases of a process; nil keeps none.
	Metrics *Metrics
	// Logger discards by default.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Renew == 0 {
		c.Renew = c.TTL / 3
	}
	if c.Margin == 0 {
		c.Margin = c.TTL / 4
	}
	if c.Retry == 0 {
		c.Retry = c.TTL / 4
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports a Config that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.KV == nil:
		return fmt.Errorf("%w: KV is required", ErrInvalid)
	case c.Key == "":
		return fmt.Errorf("%w: key is required", ErrInvalid)
	case c.TTL <= 0:
		return fmt.Errorf("%w: TTL must be positive", ErrInvalid)
	case c.Renew <= 0 || c.Margin <= 0 || c.Retry <= 0:
		return fmt.Errorf("%w: renew, margin and retry must be positive", ErrInvalid)
	case c.Renew+c.Margin >= c.TTL:
		return fmt.Errorf("%w: renew %s plus margin %s must be shorter than TTL %s", ErrInvalid, c.Renew, c.Margin, c.TTL)
	}
	return nil
}

// Leader holds the lease of one key. Create it with New, use it with Run.
type Leader struct {
	cfg  Config
	log  *slog.Logger
	base time.Time // monotonic origin of deadline

	held     atomic.Bool
	deadline atomic.Int64 // since base: the lease is no longer trusted after it
}

// New returns a Leader for cfg.
func New(cfg Config) (*Leader, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Leader{cfg: cfg, log: cfg.Logger.With("component", "lease", "key", cfg.Key), base: time.Now()}, nil
}

// Held reports whether the lease is held now and its local deadline has not
// passed: the fence for writes only the holder may make.
func (l *Leader) Held() bool {
	return l.held.Load() && time.Since(l.base) < time.Duration(l.deadline.Load())
}

// Run acquires the lease, waiting while another process holds it, and calls
// lead with a context cancelled (cause ErrLost) as soon as the lease is lost,
// and with the lease's revision at acquisition. When lead returns the lease
// is released, unless it was lost. After a loss Run tries to acquire again.
// Run returns nil when ctx is done, or lead's error when lead fails while
// the lease is held (the lease is released first).
func (l *Leader) Run(ctx context.Context, lead func(ctx context.Context, rev uint64) error) error {
	for {
		rev, sent, err := l.acquire(ctx)
		if err != nil {
			return nil // ctx done
		}
		err = l.hold(ctx, rev, sent, lead)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, ErrLost):
			continue
		case err != nil:
			return err
		}
		// lead returned nil without being asked to: released; take it again.
	}
}

// acquire creates the key, retrying every Retry until it succeeds or ctx is
// done. sent is the instant the winning request was sent.
func (l *Leader) acquire(ctx context.Context) (rev uint64, sent time.Time, err error) {
	lastHolder := ""
	for {
		sent = time.Now()
		rev, err = l.cfg.KV.Create(ctx, l.cfg.Key, []byte(l.cfg.Node))
		if err == nil {
			return rev, sent, nil
		}
		if ctx.Err() != nil {
			return 0, time.Time{}, ctx.Err()
		}
		if errors.Is(err, jetstream.ErrKeyExists) {
			holder := "?"
			if e, gerr := l.cfg.KV.Get(ctx, l.cfg.Key); gerr == nil {
				holder = string(e.Value())
			}
			if holder != lastHolder {
				l.log.Info("lease held by another node; standing by", "holder", holder)
				lastHolder = holder
			}
		} else {
			l.log.Warn("cannot acquire lease yet; retrying", "error", err, "in", l.cfg.Retry)
		}
		select {
		case <-ctx.Done():
			return 0, time.Time{}, ctx.Err()
		case <-time.After(l.cfg.Retry):
		}
	}
}

func (l *Leader) setDeadline(sent time.Time) {
	l.deadline.Store(int64(sent.Add(l.cfg.TTL - l.cfg.Margin).Sub(l.base)))
}

func (l *Leader) hold(ctx context.Context, rev uint64, sent time.Time, lead func(context.Context, uint64) error) error {
	l.setDeadline(sent)
	l.held.Store(true)
	l.cfg.Metrics.acquired(l.cfg.Key)
	l.log.Info("lease acquired", "node", l.cfg.Node, "revision", rev)

	leadCtx, cancel := context.WithCancelCause(ctx)
	// Renewals go on after ctx is done, until lead returns: a graceful stop
	// drains and writes its last checkpoint under the lease, then releases
	// it, instead of letting it lapse meanwhile.
	renewCtx, stopRenewing := context.WithCancel(context.WithoutCancel(ctx))
	var last atomic.Uint64
	last.Store(rev)
	var lost atomic.Bool
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		l.renew(renewCtx, func() { lost.Store(true); cancel(ErrLost) }, &last, sent)
	}()
	err := lead(leadCtx, rev)
	stopRenewing()
	cancel(nil)
	<-renewed
	if lost.Load() {
		return ErrLost
	}
	l.held.Store(false)
	l.cfg.Metrics.released(l.cfg.Key)
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), l.cfg.Margin)
	defer rcancel()
	if derr := l.release(rctx, last.Load()); derr != nil {
		l.log.Warn("lease not released; it expires by itself", "error", derr, "within", l.cfg.TTL)
	} else {
		l.log.Info("lease released")
	}
	return err // the lead's own error, as the caller would have seen it without a lease
}

// release deletes the key if it is still this holder's at revision rev. A
// renewal cut short by the stop may still have reached the server, leaving
// the key ours at a newer revision we never heard of: then the key is read
// back and, when it still names this node, deleted at its revision, so that
// a standby need not wait out the TTL.
func (l *Leader) release(ctx context.Context, rev uint64) error {
	err := l.cfg.KV.Delete(ctx, l.cfg.Key, jetstream.LastRevision(rev))
	if err == nil || !(errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists)) {
		return err
	}
	e, gerr := l.cfg.KV.Get(ctx, l.cfg.Key)
	if gerr != nil || string(e.Value()) != l.cfg.Node || e.Revision() < rev {
		return err // gone, or another node's: nothing of ours to release
	}
	return l.cfg.KV.Delete(ctx, l.cfg.Key, jetstream.LastRevision(e.Revision()))
}

// renew keeps the lease until ctx is done, calling lose when a renewal is
// refused or the local deadline passes.
func (l *Leader) renew(ctx context.Context, loseLease func(), last *atomic.Uint64, sent time.Time) {
	deadline := sent.Add(l.cfg.TTL - l.cfg.Margin)
	next := sent.Add(l.cfg.Renew)
	lose := func(reason string, attrs ...any) {
		l.held.Store(false)
		l.cfg.Metrics.lost(l.cfg.Key)
		l.log.Error("lease lost; stopping the account at once: "+reason, attrs...)
		loseLease()
	}
	for {
		wake := next
		if deadline.Before(wake) {
			wake = deadline
		}
		t := time.NewTimer(time.Until(wake))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if !time.Now().Before(deadline) {
			lose("no renewal succeeded in time", "ttl", l.cfg.TTL, "margin", l.cfg.Margin)
			return
		}
		at := time.Now()
		rctx, rcancel := context.WithDeadline(ctx, deadline)
		rev, err := l.cfg.KV.Update(rctx, l.cfg.Key, []byte(l.cfg.Node), last.Load())
		rcancel()
		switch {
		case err == nil:
			last.Store(rev)
			deadline = at.Add(l.cfg.TTL - l.cfg.Margin)
			l.setDeadline(at)
			next = at.Add(l.cfg.Renew)
		case ctx.Err() != nil:
			return
		case errors.Is(err, jetstream.ErrKeyExists), errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
			lose("renewal refused", "error", err)
			return
		default:
			l.log.Warn("lease renewal failed; retrying", "error", err, "deadline_in", time.Until(deadline).Round(time.Millisecond))
			next = time.Now().Add(l.cfg.Renew / 3)
		}
	}
}

// Metrics are the lease gauges and counters, shared by every lease of a process.
type Metrics struct {
	held         *prometheus.GaugeVec
	acquisitions *prometheus.CounterVec
	losses       *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		held:         prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "tgnats", Name: "lease_held", Help: "1 while this process holds the account's lease."}, []string{"account"}),
		acquisitions: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tgnats", Name: "lease_acquisitions_total", Help: "Leases acquired."}, []string{"account"}),
		losses:       prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tgnats", Name: "lease_losses_total", Help: "Leases lost while held (renewal refused or too late)."}, []string{"account"}),
	}
	if reg != nil {
		reg.MustRegister(m.held, m.acquisitions, m.losses)
	}
	return m
}

func (m *Metrics) acquired(key string) {
	if m != nil {
		m.held.WithLabelValues(key).Set(1)
		m.acquisitions.WithLabelValues(key).Inc()
	}
}

func (m *Metrics) released(key string) {
	if m != nil {
		m.held.WithLabelValues(key).Set(0)
	}
}

func (m *Metrics) lost(key string) {
	if m != nil {
		m.held.WithLabelValues(key).Set(0)
		m.losses.WithLabelValues(key).Inc()
	}
}
