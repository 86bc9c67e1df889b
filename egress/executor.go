package egress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"

	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

// resultKeyPrefix prefixes idempotency keys in the state's result store.
const resultKeyPrefix = "cmd:"

// command is one command being executed.
type command struct {
	name        string // the command's name, e.g. "message.send"
	body        []byte
	key         string // idempotency key; "" when none
	id          string // command_id
	traceParent string
	deadline    time.Time // on the injected clock

	called    bool // Telegram was called: the result is worth storing
	duplicate bool
	randomIDs []int64
}

// outcome of one attempt.
type outcome struct {
	result   *schema.CommandResult
	peer     schema.PeerRef
	retry    time.Duration // > 0: transient, try again after it
	replayed bool          // result read back from the store
}

// idempotencyKey returns the CloudEvent id, else Nats-Msg-Id, else "".
// Header names are compared case-insensitively.
func idempotencyKey(h nats.Header) (key, traceParent string) {
	var msgID string
	for k, v := range h {
		if len(v) == 0 {
			continue
		}
		switch strings.ToLower(k) {
		case schema.HeaderCEID:
			key = v[0]
		case strings.ToLower(schema.HeaderMsgID):
			msgID = v[0]
		case schema.HeaderCETraceParent, schema.HeaderTraceParent:
			if schema.ValidTraceParent(v[0]) {
				traceParent = v[0]
			}
		}
	}
	if key == "" {
		key = msgID
	}
	return key, traceParent
}

// commandID returns the key when it is safe in an event id and a subject
// of logs, a digest of it otherwise, or a fresh id without a key.
func commandID(key string) string {
	if key == "" {
		return nuid.Next()
	}
	safe := len(key) <= 128
	for i := 0; i < len(key) && safe; i++ {
		safe = key[i] > ' ' && key[i] <= '~'
	}
	if safe {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256-" + hex.EncodeToString(sum[:16])
}

func (e *Egress) newCommand(name string, body []byte, h nats.Header, deadline time.Time) *command {
	key, tp := idempotencyKey(h)
	return &command{name: name, body: body, key: key, id: commandID(key), traceParent: tp, deadline: deadline}
}

// attempt executes c once: parse, allow-list, idempotency, resolve, call.
// A panic below it (a bug) fails this command with INTERNAL and is logged
// with its stack; the process and the other commands go on.
func (e *Egress) attempt(ctx context.Context, c *command) (o outcome) {
	defer func() {
		if r := recover(); r != nil {
			e.log.Error("command panicked: a bug in tgnats", "command_id", c.id, "action", c.name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			o = outcome{result: e.result(c, o.peer, nil, &schema.CommandError{Code: schema.CodeInternal,
				Message: "internal error while executing the command; the connector log has the details"}), peer: o.peer}
		}
	}()
	fail := func(ce *schema.CommandError, peer schema.PeerRef) outcome {
		return outcome{result: e.result(c, peer, nil, ce), peer: peer}
	}
	cmd, err := schema.ParseCommand(c.name, c.body)
	if err != nil {
		return fail(asCommandError(err), schema.PeerRef{})
	}
	if m, ok := cmd.Body.(*schema.SendMedia); ok && len(m.Media.Data) > e.cfg.MaxUploadBytes {
		return fail(schema.NewCommandError(schema.CodeInvalidArgument, "media.data: %d bytes, at most %d", len(m.Media.Data), e.cfg.MaxUploadBytes), schema.PeerRef{})
	}
	inputs := cmd.Peers()
	var first schema.PeerRef
	if len(inputs) > 0 {
		first, _ = inputs[0].Ref()
	}
	for _, p := range inputs {
		if e.allow.before(p) == denied {
			return fail(notAllowed(p.String()), first)
		}
	}
	if c.key != "" {
		if stored, err := e.cfg.Store.Result(resultKeyPrefix + c.key); err == nil {
			var res schema.CommandResult
			if err := json.Unmarshal(stored, &res); err == nil {
				var peer schema.PeerRef
				if res.Peer != nil {
					peer = *res.Peer
				}
				return outcome{result: &res, peer: peer, replayed: true}
			}
			e.log.Warn("stored command result unreadable; executing again", "key", c.key)
		} else if !errors.Is(err, state.ErrNotFound) {
			e.log.Warn("command result lookup failed", "key", c.key, "error", err)
			return outcome{retry: time.Second}
		}
	}

	// The traceparent rides along to the message events of the call's updates.
	ctx, cancel := context.WithTimeout(schema.WithTraceParent(ctx, c.traceParent), max(c.deadline.Sub(e.cfg.Now()), time.Millisecond))
	defer cancel()
	targets := make([]target, len(inputs))
	for i, p := range inputs {
		t, err := e.resolve(ctx, c, p)
		if err != nil {
			return e.failure(c, err, first)
		}
		if !e.allow.after(t.peer) {
			return fail(notAllowed(p.String()), first)
		}
		targets[i] = t
	}
	if len(targets) > 0 {
		first = targets[0].peer.Ref()
	}
	out, err := e.run(ctx, c, cmd, targets)
	if err != nil {
		return e.failure(c, err, first)
	}
	return outcome{result: e.result(c, first, out, nil), peer: first}
}

// failure turns an error of resolve or run into an outcome.
func (e *Egress) failure(c *command, err error, peer schema.PeerRef) outcome {
	ce := mapError(err)
	if ce == nil {
		e.log.Debug("transient failure", "command_id", c.id, "action", c.name, "error", err)
		return outcome{retry: time.Second, peer: peer}
	}
	return outcome{result: e.result(c, peer, nil, ce), peer: peer}
}

func asCommandError(err error) *schema.CommandError {
	var ce *schema.CommandError
	if errors.As(err, &ce) {
		return ce
	}
	return schema.NewCommandError(schema.CodeInvalidArgument, "%v", err)
}

func notAllowed(peer string) *schema.CommandError {
	return schema.NewCommandError(schema.CodeNotAllowed, "peer %s is not in this account's allow list (commands.allow_peers)", peer)
}

func (e *Egress) result(c *command, peer schema.PeerRef, out *schema.CommandOutput, ce *schema.CommandError) *schema.CommandResult {
	r := &schema.CommandResult{OK: ce == nil, CommandID: c.id, Command: c.name, Time: e.cfg.Now().UTC(), Result: out, Error: ce, Duplicate: c.duplicate}
	if peer.Kind != "" && peer.ID != 0 {
		r.Peer = &peer
	}
	return r
}

// finish makes a final result durable: the command.completed/failed event
// into the outbox, then, for a keyed command that reached Telegram with a
// lasting answer, the stored result. Event first: a crash in between
// re-executes, and the random_id and the event id make that harmless.
func (e *Egress) finish(c *command, o outcome) error {
	res := o.result
	label := commandLabel(c.name)
	if o.replayed {
		e.metrics.commands.WithLabelValues(e.cfg.Account, label, "replayed").Inc()
		return nil
	}
	ev := schema.CommandEvent(e.cfg.Account, res, o.peer)
	ev.TraceParent = c.traceParent
	msg, err := e.cfg.Encoder.Encode(&ev)
	if err != nil {
		return fmt.Errorf("encode result event: %w", err)
	}
	rec := state.OutboxRecord{Subject: msg.Subject, MsgID: ev.ID, Header: msg.Header, Data: msg.Data}
	if err := e.cfg.Store.Commit(&state.Commit{Events: []state.OutboxRecord{rec}}); err != nil {
		return fmt.Errorf("commit result event: %w", err)
	}
	if c.key != "" && c.called && lasting(res) {
		b, err := json.Marshal(res)
		if err == nil {
			err = e.cfg.Store.PutResult(resultKeyPrefix+c.key, b, e.cfg.ResultTTL)
		}
		if err != nil {
			return fmt.Errorf("store result: %w", err)
		}
	}
	if res.OK {
		e.metrics.commands.WithLabelValues(e.cfg.Account, label, "completed").Inc()
		e.log.Debug("command completed", "command_id", c.id, "action", c.name)
	} else {
		e.metrics.commands.WithLabelValues(e.cfg.Account, label, "failed").Inc()
		e.metrics.errors.WithLabelValues(res.Error.Code).Inc()
		e.log.Info("command failed", "command_id", c.id, "action", c.name, "code", res.Error.Code, "error", res.Error.Message)
	}
	return nil
}

// lasting reports whether the same command would get the same answer:
// waits and timeouts are not stored, so a retry with the key runs again.
func lasting(r *schema.CommandResult) bool {
	return r.OK || (r.Error.Code != schema.CodeFloodWait && r.Error.Code != schema.CodeTimeout && r.Error.Code != schema.CodeNotAllowed)
}
