package simctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/schema"
)

// Simulator is what the control surface calls; *sim.Sim implements it.
type Simulator interface {
	CreateUser(first, last, username string) int64
	CreateChat(kind schema.PeerKind, title string, members ...int64) (schema.PeerRef, error)
	CreateBroadcast(title string) (schema.PeerRef, error)
	SendMessage(ctx context.Context, m sim.Outgoing) (int, error)
	EditMessage(ctx context.Context, chat schema.PeerRef, account string, msgID int, text string) error
	EditMessageSameSecond(ctx context.Context, chat schema.PeerRef, account string, msgID int, text string) error
	DeleteMessages(ctx context.Context, chat schema.PeerRef, account string, ids ...int) error
	PressButton(ctx context.Context, account string, chat schema.PeerRef, msgID int, from int64, data []byte) (int64, error)
	BotQuery(ctx context.Context, q sim.BotQuery) (sim.BotQueryResult, error)
	Withhold(on bool)
	PushTooLong(account string)
	FloodWait(method uint32, seconds, times int)
	FloodWaitFor(account string, method uint32, seconds, times int)
	Ledger(account string) []sim.LedgerEntry
	LedgerFrom(account string, from int) ([]sim.LedgerEntry, int)
	ServedCalls(account string) []sim.Call
	Calls(account string) map[string]int
	Traffic(sc sim.Scenario) error
	Inject(ctx context.Context, f sim.Fault) (int64, error)
	// Reactions, pins, read receipts, polls (issue 12).
	React(ctx context.Context, account string, chat schema.PeerRef, msgID int, from int64, emoji string) error
	Pin(ctx context.Context, account string, chat schema.PeerRef, msgID int, unpin bool) error
	Read(ctx context.Context, account string, chat schema.PeerRef, maxID int, outbox bool) error
	SendPoll(ctx context.Context, account string, chat schema.PeerRef) (int, error)
	Vote(ctx context.Context, account string, chat schema.PeerRef, msgID int, from int64, options []int) error
	WebPageReady(ctx context.Context, account string, chat schema.PeerRef, msgID int) error
	// Members and bots (issue 12).
	ChangeMember(ctx context.Context, c sim.MemberChange) (int, error)
	StopBot(ctx context.Context, account string, user int64, stopped bool) (int, error)
	RenameUser(ctx context.Context, user int64, first, last, username string) error
	ChangeUser(ctx context.Context, user int64, change, phone string, emoji int64) error
	SendMembers(ctx context.Context, chat schema.PeerRef) error
	RenameChat(ctx context.Context, chat schema.PeerRef, title, username string) error
	Typing(ctx context.Context, chat schema.PeerRef, from int64, action string) error
	SetStatus(ctx context.Context, user int64, online bool) error
	// Files (issue 13).
	MessageFile(ctx context.Context, account string, chat schema.PeerRef, id int) (sim.MediaFile, error)
	LoginSimulator
}

var _ Simulator = (*sim.Sim)(nil)

// Error codes of failed requests.
const (
	CodeInvalidArgument = "INVALID_ARGUMENT"
	CodeNotFound        = "NOT_FOUND"
	CodeUnknownVerb     = "UNKNOWN_VERB"
	CodeInternal        = "INTERNAL"
)

// Config configures a control server.
type Config struct {
	// Sim is the simulator to control. Required.
	Sim Simulator
	// NC is the NATS connection to serve on. Required.
	NC *nats.Conn
	// Account is the simulated account the surface acts for. Required.
	Account string
	// Prefix is the first subject token, default schema.DefaultControlPrefix.
	Prefix string
	// EventPrefix is the connector's subject prefix (nats.subject_prefix),
	// used for the subjects reported with ledger entries; default schema.DefaultPrefix.
	EventPrefix string
	// Logger receives the surface's logs; discarded by default.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Prefix == "" {
		c.Prefix = schema.DefaultControlPrefix
	}
	if c.EventPrefix == "" {
		c.EventPrefix = schema.DefaultPrefix
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports a missing or invalid field.
func (c *Config) Validate() error {
	switch {
	case c.Sim == nil:
		return errors.New("simctl: Sim is required")
	case c.NC == nil:
		return errors.New("simctl: NC is required")
	case !schema.ValidAccount(c.Account):
		return fmt.Errorf("simctl: invalid account %q", c.Account)
	case strings.ContainsAny(c.Prefix, ".*> \t"):
		return fmt.Errorf("simctl: invalid prefix %q", c.Prefix)
	}
	return nil
}

// Server answers control requests. Create it with New, serve with Run.
type Server struct {
	cfg Config
	log *slog.Logger
}

// New validates cfg and returns a server.
func New(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, log: cfg.Logger.With("component", "simctl", "account", cfg.Account)}, nil
}

// Run serves requests until ctx is done. Generated traffic is the
// simulator's and goes on (it stops when the simulator closes).
func (s *Server) Run(ctx context.Context) error {
	base := schema.ControlSubject(s.cfg.Prefix, s.cfg.Account, "")
	sub, err := s.cfg.NC.Subscribe(base+">", func(m *nats.Msg) {
		s.serve(ctx, strings.TrimPrefix(m.Subject, base), m)
	})
	if err != nil {
		return fmt.Errorf("simctl: subscribe: %w", err)
	}
	s.log.Info("simulator control listening", "subject", base+">")
	<-ctx.Done()
	_ = sub.Unsubscribe()
	return nil
}

// reply is the JSON answer to every request.
type reply struct {
	OK     bool     `json:"ok"`
	Result any      `json:"result,omitempty"`
	Error  *failure `json:"error,omitempty"`
}

// failure is a request's error, also the Go error the verbs return.
type failure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (f *failure) Error() string { return f.Code + ": " + f.Message }

func invalid(format string, args ...any) error {
	return &failure{Code: CodeInvalidArgument, Message: fmt.Sprintf(format, args...)}
}

func (s *Server) serve(ctx context.Context, verb string, m *nats.Msg) {
	if m.Reply == "" {
		s.log.Warn("control request without a reply subject dropped", "verb", verb)
		return
	}
	res, err := s.handleSafely(ctx, verb, m.Data)
	r := reply{OK: err == nil, Result: res}
	if err != nil {
		r.Error = asFailure(err)
		s.log.Info("control request failed", "verb", verb, "code", r.Error.Code, "error", r.Error.Message)
	} else {
		s.log.Debug("control request served", "verb", verb)
	}
	b, err := json.Marshal(r)
	if err != nil {
		b, _ = json.Marshal(reply{Error: &failure{Code: CodeInternal, Message: "encode reply: " + err.Error()}})
	}
	if err := m.Respond(b); err != nil {
		s.log.Warn("control reply not sent", "verb", verb, "error", err)
	}
}

// handleSafely is handle with a panic (a bug) turned into an INTERNAL
// answer: the control surface, and the process it runs in, go on.
func (s *Server) handleSafely(ctx context.Context, verb string, data []byte) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("control verb panicked: a bug in the simulator", "verb", verb, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			res, err = nil, &failure{Code: CodeInternal, Message: "internal error in the simulator; its log has the details"}
		}
	}()
	return s.handle(ctx, verb, data)
}

// asFailure maps an error to its code.
func asFailure(err error) *failure {
	var f *failure
	switch {
	case errors.As(err, &f):
		return f
	case errors.Is(err, sim.ErrNotFound):
		return &failure{Code: CodeNotFound, Message: err.Error()}
	case errors.Is(err, sim.ErrInvalid):
		return &failure{Code: CodeInvalidArgument, Message: err.Error()}
	default:
		return &failure{Code: CodeInternal, Message: err.Error()}
	}
}

// decode reads a request body strictly: unknown fields are errors. A
// "chat" may be spelled as in commands' older form (sameChatSpellings).
func decode(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	data = sameChatSpellings(data)
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return invalid("body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if d.More() {
		return invalid("body: trailing data after the JSON object")
	}
	return nil
}

// request is a body with checks beyond its JSON shape.
type request interface{ validate() error }

// decodeValid decodes a request strictly, then checks it.
func decodeValid(data []byte, r request) error {
	if err := decode(data, r); err != nil {
		return err
	}
	return r.validate()
}
