package egress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gotd/td/tg"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

// ErrInvalidConfig reports a Config that New rejects.
var ErrInvalidConfig = errors.New("egress: invalid config")

// API is the part of Telegram's API egress calls. *tg.Client satisfies it.
type API interface {
	MessagesSendMessage(ctx context.Context, req *tg.MessagesSendMessageRequest) (tg.UpdatesClass, error)
	MessagesSendMedia(ctx context.Context, req *tg.MessagesSendMediaRequest) (tg.UpdatesClass, error)
	UploadSaveFilePart(ctx context.Context, req *tg.UploadSaveFilePartRequest) (bool, error)
	MessagesEditMessage(ctx context.Context, req *tg.MessagesEditMessageRequest) (tg.UpdatesClass, error)
	MessagesDeleteMessages(ctx context.Context, req *tg.MessagesDeleteMessagesRequest) (*tg.MessagesAffectedMessages, error)
	ChannelsDeleteMessages(ctx context.Context, req *tg.ChannelsDeleteMessagesRequest) (*tg.MessagesAffectedMessages, error)
	MessagesForwardMessages(ctx context.Context, req *tg.MessagesForwardMessagesRequest) (tg.UpdatesClass, error)
	MessagesUpdatePinnedMessage(ctx context.Context, req *tg.MessagesUpdatePinnedMessageRequest) (tg.UpdatesClass, error)
	MessagesSendReaction(ctx context.Context, req *tg.MessagesSendReactionRequest) (tg.UpdatesClass, error)
	MessagesSetTyping(ctx context.Context, req *tg.MessagesSetTypingRequest) (bool, error)
	MessagesReadHistory(ctx context.Context, req *tg.MessagesReadHistoryRequest) (*tg.MessagesAffectedMessages, error)
	ChannelsReadHistory(ctx context.Context, req *tg.ChannelsReadHistoryRequest) (bool, error)
	MessagesSetBotCallbackAnswer(ctx context.Context, req *tg.MessagesSetBotCallbackAnswerRequest) (bool, error)
	MessagesSetInlineBotResults(ctx context.Context, req *tg.MessagesSetInlineBotResultsRequest) (bool, error)
	MessagesSetBotPrecheckoutResults(ctx context.Context, req *tg.MessagesSetBotPrecheckoutResultsRequest) (bool, error)
	MessagesSetBotShippingResults(ctx context.Context, req *tg.MessagesSetBotShippingResultsRequest) (bool, error)
	ContactsResolveUsername(ctx context.Context, username string) (*tg.ContactsResolvedPeer, error)
	// Lookups of peers without a stored access hash (resolve.go).
	UsersGetUsers(ctx context.Context, id []tg.InputUserClass) ([]tg.UserClass, error)
	ChannelsGetChannels(ctx context.Context, id []tg.InputChannelClass) (tg.MessagesChatsClass, error)
	MessagesGetDialogs(ctx context.Context, req *tg.MessagesGetDialogsRequest) (tg.MessagesDialogsClass, error)
}

var _ API = (*tg.Client)(nil)

// Store is the part of the account's state egress uses. *state.Store satisfies it.
type Store interface {
	PutResult(key string, value []byte, ttl time.Duration) error
	Result(key string) ([]byte, error)
	Peer(ref schema.PeerRef) (state.Peer, error)
	PeerByUsername(username string) (state.Peer, error)
	Commit(c *state.Commit) error
}

var _ Store = (*state.Store)(nil)

// Defaults of Config.
const (
	DefaultRateGlobal         = 30
	DefaultRatePerChat        = 1
	DefaultBurstPerChat       = 3
	DefaultDeadlinePerCommand = 30 * time.Second
	DefaultMaxUploadBytes     = 10 << 20
	DefaultResultTTL          = 24 * time.Hour
	DefaultMaxConcurrent      = 64
	DefaultMaxPending         = 20000
	// ConsumerName is the durable consumer of the commands stream.
	ConsumerName = "tgnats-egress"
)

// Config configures an Egress.
type Config struct {
	// Account is the configured short name of the account ([a-z0-9_-]+).
	Account string
	// Prefix is the first token(s) of subjects; schema.DefaultPrefix when empty.
	Prefix string
	// NC serves the rpc micro service; JS holds the commands stream.
	NC *nats.Conn
	JS jetstream.JetStream
	// API is the Telegram client.
	API API
	// Store keeps results, peers and the outbox.
	Store Store
	// Updates receives every tg.UpdatesClass a call returns (sends, edits,
	// and the pts-carrying results of deletes and reads, as updates), so the
	// ingest engine emits the outgoing message events and keeps pts
	// consistent. Nil drops them.
	Updates func(ctx context.Context, u tg.UpdatesClass) error
	// Encoder encodes the command.completed/failed events; its Prefix
	// defaults to Prefix.
	Encoder schema.Encoder
	// AllowPeers restricts the chats commands may touch: "channel:123",
	// "user:7", a Bot API id "-100123", or "@name". Empty allows all.
	AllowPeers []string
	// RateGlobal is Telegram calls per second over all chats (default 30);
	// BurstGlobal its burst (default 1).
	RateGlobal  float64
	BurstGlobal int
	// RatePerChat is calls per second to one chat (default 1), BurstPerChat
	// its burst (default 3).
	RatePerChat  float64
	BurstPerChat int
	// DeadlinePerCommand bounds one command (default 30s): rate-limit and
	// FLOOD_WAIT waits that end later fail the command with FLOOD_WAIT.
	DeadlinePerCommand time.Duration
	// MaxUploadBytes bounds media.send data (default 10 MiB).
	MaxUploadBytes int
	// ResultTTL is how long results of keyed commands are kept (default 24h).
	ResultTTL time.Duration
	// MaxConcurrent bounds rpc commands in flight (default 64).
	MaxConcurrent int
	// MaxPending bounds the stream commands this process holds at once,
	// queued on their chat's lane or executing (default 20,000; the
	// consumer's MaxAckPending). It is large so that a backlog in one chat
	// does not keep the commands of other chats from being fetched.
	MaxPending int
	// AckWait is the consumer's AckWait (default twice DeadlinePerCommand):
	// how long a stream command whose connector died stays unseen before
	// it is redelivered. Held commands are kept from redelivery by
	// progress acks every AckWait/3.
	AckWait time.Duration
	// FileAPI serves files (media.download, media.send from an object);
	// nil uses API when it implements FileAPI.
	FileAPI FileAPI
	// Files configures the Object Store bucket of files.
	Files FilesConfig
	// Logger receives logs; nil discards.
	Logger *slog.Logger
	// Registerer receives the metrics; nil registers nowhere.
	Registerer prometheus.Registerer
	// Now is the clock of deadlines, pauses and result times; nil is time.Now.
	Now func() time.Time

	// diskFree, in tests, stands for the free space of a file system
	// (diskfree_unix.go).
	diskFree func(path string) (int64, error)
}

func (c *Config) setDefaults() {
	if c.Prefix == "" {
		c.Prefix = schema.DefaultPrefix
	}
	if c.Encoder.Prefix == "" {
		c.Encoder.Prefix = c.Prefix
	}
	if c.RateGlobal == 0 {
		c.RateGlobal = DefaultRateGlobal
	}
	if c.BurstGlobal == 0 {
		c.BurstGlobal = 1
	}
	if c.RatePerChat == 0 {
		c.RatePerChat = DefaultRatePerChat
	}
	if c.BurstPerChat == 0 {
		c.BurstPerChat = DefaultBurstPerChat
	}
	if c.DeadlinePerCommand == 0 {
		c.DeadlinePerCommand = DefaultDeadlinePerCommand
	}
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if c.ResultTTL == 0 {
		c.ResultTTL = DefaultResultTTL
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = DefaultMaxConcurrent
	}
	if c.MaxPending == 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.AckWait == 0 {
		c.AckWait = 2 * c.DeadlinePerCommand
	}
	c.Files.setDefaults(c.Account)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports a Config that cannot work. New calls it after defaults.
func (c *Config) Validate() error {
	switch {
	case !schema.ValidAccount(c.Account):
		return fmt.Errorf("%w: account %q: want [a-z0-9_-]+", ErrInvalidConfig, c.Account)
	case c.NC == nil:
		return fmt.Errorf("%w: NC: required", ErrInvalidConfig)
	case c.JS == nil:
		return fmt.Errorf("%w: JS: required", ErrInvalidConfig)
	case c.API == nil:
		return fmt.Errorf("%w: API: required", ErrInvalidConfig)
	case c.Store == nil:
		return fmt.Errorf("%w: Store: required", ErrInvalidConfig)
	case c.RateGlobal < 0 || c.RatePerChat < 0 || c.BurstGlobal < 0 || c.BurstPerChat < 0:
		return fmt.Errorf("%w: rates and bursts must be positive", ErrInvalidConfig)
	case c.DeadlinePerCommand < 0 || c.MaxUploadBytes < 0 || c.ResultTTL < 0 || c.MaxConcurrent < 0 || c.MaxPending < 0:
		return fmt.Errorf("%w: deadline, upload bound, result ttl, concurrency and pending bound must be positive", ErrInvalidConfig)
	case c.AckWait < 0:
		return fmt.Errorf("%w: ack wait must be positive", ErrInvalidConfig)
	case c.Files.TTL < 0 || c.Files.MaxBytes < 0 || c.Files.Replicas < 0 || c.Files.Deadline < 0 || c.Files.MaxUploadBytes < 0:
		return fmt.Errorf("%w: files ttl, max bytes, replicas, deadline and upload bound must be positive", ErrInvalidConfig)
	case c.Files.Auto.MaxBytes < 0 || c.Files.Auto.Wait < 0 || c.Files.Auto.Parallel < 0 || c.Files.ProgressBytes < 0:
		return fmt.Errorf("%w: auto download bound, wait, parallelism and progress threshold must be positive", ErrInvalidConfig)
	}
	if _, err := parseAllowList(c.AllowPeers); err != nil {
		return fmt.Errorf("%w: allow peers: %w", ErrInvalidConfig, err)
	}
	return nil
}
