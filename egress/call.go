package egress

import (
	"context"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
)

// call runs one Telegram call about chat ("" for none) under the rate
// limits, and honours FLOOD_WAIT: the chat (or everything) pauses; the
// command waits and retries when the pause ends before its deadline (a
// stream command in its lane's turn, so the chat's order holds).
func (e *Egress) call(ctx context.Context, c *command, chat string, fn func(context.Context) error) error {
	for {
		if err := e.lim.wait(ctx, chat, c.deadline); err != nil {
			return err
		}
		c.called = true
		err := fn(ctx)
		d, ok := tgerr.AsFloodWait(err)
		if !ok {
			return err
		}
		e.lim.flood(chat, d)
		if e.cfg.Now().Add(d).After(c.deadline) {
			return err
		}
	}
}

// invoke runs one Telegram method about chat ("" for none) through call
// and returns its answer: the one place a call's answer is captured.
func invoke[Req, Res any](ctx context.Context, e *Egress, c *command, chat string, method func(context.Context, Req) (Res, error), req Req) (Res, error) {
	var res Res
	err := e.call(ctx, c, chat, func(ctx context.Context) error {
		var err error
		res, err = method(ctx, req)
		return err
	})
	return res, err
}

// updatesCall invokes a method about t answered with updates and hands
// them on.
func updatesCall[Req any](ctx context.Context, e *Egress, c *command, t target, method func(context.Context, Req) (tg.UpdatesClass, error), req Req) (tg.UpdatesClass, error) {
	u, err := invoke(ctx, e, c, t.chatKey(), method, req)
	if err != nil {
		return nil, err
	}
	e.updates(ctx, u)
	return u, nil
}

// updates hands a call's updates to the ingest engine.
func (e *Egress) updates(ctx context.Context, u tg.UpdatesClass) {
	if u == nil {
		return
	}
	e.clock.observe(updatesDate(u))
	if e.cfg.Updates == nil {
		return
	}
	if err := e.cfg.Updates(ctx, u); err != nil {
		e.log.Warn("updates of a command not handed to ingest", "error", err)
	}
}

// affectedCall invokes a delete or read about t, answered only with pts,
// and hands on update(answer): the update Telegram does not push to the
// session that made the call, for ingest's pts bookkeeping, dated by
// Telegram's clock (the answer has no date).
func affectedCall[Req any](ctx context.Context, e *Egress, c *command, t target, method func(context.Context, Req) (*tg.MessagesAffectedMessages, error), req Req, update func(*tg.MessagesAffectedMessages) tg.UpdateClass) error {
	a, err := invoke(ctx, e, c, t.chatKey(), method, req)
	if err != nil || a == nil {
		return err
	}
	e.updates(ctx, &tg.Updates{Updates: []tg.UpdateClass{update(a)}, Date: e.clock.date()})
	return nil
}
