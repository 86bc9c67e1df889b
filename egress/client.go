package egress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/tgnats/tgnats/schema"
)

// Client sends commands to the connector serving Account and returns their
// results: Do over request-reply (tg.<account>.rpc.<action>), Submit over
// the commands stream (tg.<account>.commands.<action>) waiting for the
// command.completed or command.failed event. The zero Prefix is
// schema.DefaultPrefix. A Client holds no state of its own: copies and
// concurrent calls are fine.
//
//	c := egress.Client{NC: nc, Account: "main"}
//	res, err := c.Do(ctx, &schema.SendMessage{Peer: schema.PeerOf(chat), Text: "hi"}, egress.WithKey("order-42"))
//
// The command is named by its body's type (schema.CommandOf).
//
// Both return the result whenever the connector answered; err is then the
// result's *schema.CommandError when the command failed (errors.Is(err,
// schema.ErrPeerNotFound) and so on), or a transport error without a result.
type Client struct {
	NC      *nats.Conn
	Account string
	Prefix  string
}

// SendOption sets a header of a command.
type SendOption func(*sendOptions)

type sendOptions struct {
	key, traceParent string
}

// WithKey sets the command's idempotency key (ce-id and Nats-Msg-Id): a
// key the connector has a result for returns that result and calls nothing.
func WithKey(key string) SendOption { return func(o *sendOptions) { o.key = key } }

// WithTraceParent sets the W3C traceparent the command and the message
// events it causes carry.
func WithTraceParent(tp string) SendOption { return func(o *sendOptions) { o.traceParent = tp } }

func (c *Client) prefix() string {
	if c.Prefix == "" {
		return schema.DefaultPrefix
	}
	return c.Prefix
}

// message builds the NATS message of body, on the subject of its command.
func (c *Client) message(subject func(prefix, account, name string) string, body schema.Body, o sendOptions) (*nats.Msg, string, error) {
	cmd, err := schema.CommandOf(body)
	if err != nil {
		return nil, "", fmt.Errorf("egress: %w", err)
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, "", fmt.Errorf("egress: encode %s: %w", cmd.Name(), err)
	}
	msg := nats.NewMsg(subject(c.prefix(), c.Account, cmd.Name()))
	msg.Data = data
	if o.key != "" {
		msg.Header.Set(schema.HeaderCEID, o.key)
		msg.Header.Set(schema.HeaderMsgID, o.key)
	}
	if o.traceParent != "" {
		msg.Header.Set(schema.HeaderTraceParent, o.traceParent)
	}
	return msg, cmd.Name(), nil
}

// Do sends the command of body as an rpc request and returns the connector's reply. The
// wait is bounded by ctx (give it a deadline beyond the connector's
// commands.deadline: the reply comes when the command is done).
func (c *Client) Do(ctx context.Context, body schema.Body, opts ...SendOption) (*schema.CommandResult, error) {
	var o sendOptions
	for _, opt := range opts {
		opt(&o)
	}
	msg, name, err := c.message(RPCSubject, body, o)
	if err != nil {
		return nil, err
	}
	reply, err := c.NC.RequestMsgWithContext(ctx, msg)
	if err != nil {
		return nil, fmt.Errorf("egress: rpc %s: %w", name, err)
	}
	var res schema.CommandResult
	if err := json.Unmarshal(reply.Data, &res); err != nil {
		return nil, fmt.Errorf("egress: rpc %s: reply %q: %w", name, reply.Data, err)
	}
	return resultErr(&res)
}

// Submit publishes the command of body to the commands stream and waits, bounded by ctx,
// for its command.completed or command.failed event (matched by key:
// without WithKey a fresh one is used). A key the stream or the connector
// has seen before produces no new event once its command ran: Submit then
// waits until ctx ends; Do with the same key returns the stored result.
func (c *Client) Submit(ctx context.Context, body schema.Body, opts ...SendOption) (*schema.CommandResult, error) {
	o := sendOptions{key: nuid.Next()}
	for _, opt := range opts {
		opt(&o)
	}
	if o.key == "" {
		o.key = nuid.Next()
	}
	msg, name, err := c.message(CommandSubject, body, o)
	if err != nil {
		return nil, err
	}
	// Listen before publishing: the event may follow at once.
	sub, err := c.NC.SubscribeSync(schema.EventSubject(c.prefix(), c.Account, schema.KindCommand+".>"))
	if err != nil {
		return nil, fmt.Errorf("egress: submit %s: %w", name, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := c.NC.FlushWithContext(ctx); err != nil {
		return nil, fmt.Errorf("egress: submit %s: %w", name, err)
	}
	js, err := jetstream.New(c.NC)
	if err != nil {
		return nil, fmt.Errorf("egress: submit %s: %w", name, err)
	}
	if _, err := js.PublishMsg(ctx, msg); err != nil {
		return nil, fmt.Errorf("egress: submit %s: %w", name, err)
	}
	want := c.Account + ":" + schema.KindCommand + ":" + commandID(o.key) + ":"
	for {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return nil, fmt.Errorf("egress: submit %s: waiting for the result of %q: %w", name, o.key, err)
		}
		ev, err := schema.Decode(m)
		if err != nil || !strings.HasPrefix(ev.ID(), want) {
			continue // another command's result, or not an event
		}
		var res schema.CommandResult
		if err := json.Unmarshal(ev.Data(), &res); err != nil {
			return nil, fmt.Errorf("egress: submit %s: result event %s: %w", name, ev.ID(), err)
		}
		return resultErr(&res)
	}
}

// resultErr returns res with its error, if any, as a Go error.
func resultErr(res *schema.CommandResult) (*schema.CommandResult, error) {
	if res.OK {
		return res, nil
	}
	if res.Error == nil {
		return res, errors.New("egress: the command failed without an error")
	}
	return res, res.Error
}
