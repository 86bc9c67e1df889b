package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/schema"
)

// ErrInvalidConfig reports an EventStream that EnsureEventStream rejects.
var ErrInvalidConfig = errors.New("provision: invalid stream config")

// EventStream describes an account's event stream (DESIGN.md §2).
type EventStream struct {
	// Prefix is the subject prefix, e.g. "tg".
	Prefix string
	// Account is the configured short name of the account.
	Account string
	// Replicas defaults to 1.
	Replicas int
	// MaxAge is how long events are kept; 0 keeps them forever.
	MaxAge time.Duration
	// DuplicateWindow is how long Nats-Msg-Id dedupe lasts; default 2h. It
	// must outlast the longest outbox replay.
	DuplicateWindow time.Duration
}

func (c *EventStream) setDefaults() {
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = 2 * time.Hour
	}
}

// Validate reports every problem of c, each wrapping ErrInvalidConfig.
func (c *EventStream) Validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, a...)...))
	}
	if c.Prefix == "" || strings.ContainsAny(c.Prefix, ".*> \t\r\n") {
		bad("stream prefix: must be one subject token, got %q", c.Prefix)
	}
	if c.Account == "" || strings.ContainsAny(c.Account, ".*> \t\r\n") {
		bad("stream account: must be one subject token, got %q", c.Account)
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		bad("stream replicas: must be 1 to 5, got %d", c.Replicas)
	}
	if c.MaxAge < 0 || c.DuplicateWindow < 0 {
		bad("stream durations: must not be negative")
	}
	if c.MaxAge > 0 && c.DuplicateWindow > c.MaxAge {
		bad("stream duplicate window %s: longer than max age %s", c.DuplicateWindow, c.MaxAge)
	}
	return errors.Join(errs...)
}

// EnsureEventStream creates the account's event stream, or updates it to cfg:
// file storage, subjects "<prefix>.<account>.events.>", fast batch
// publishing allowed (allow_batched).
func EnsureEventStream(ctx context.Context, js jetstream.StreamManager, cfg EventStream) (jetstream.Stream, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	name := schema.EventStreamName(cfg.Account)
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        name,
		Description: "tgnats events of account " + cfg.Account,
		Subjects:    []string{schema.EventSubject(cfg.Prefix, cfg.Account, ">")},
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		MaxAge:      cfg.MaxAge,
		Duplicates:  cfg.DuplicateWindow,
		// Fast batch publishing (nats-server 2.14+; older servers ignore it).
		AllowBatchPublish: true,
	})
	if err != nil {
		return nil, fmt.Errorf("provision: ensure stream %s: %w", name, err)
	}
	return st, nil
}
