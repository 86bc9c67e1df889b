package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tgnats/tgnats/schema"
)

// Sentinel errors; callers branch on them with errors.Is.
var (
	// ErrInvalid is wrapped by every invalid-value error (Validate, Set).
	ErrInvalid = errors.New("config: invalid value")
	// ErrUnknownKey reports a key or environment variable that names no field.
	ErrUnknownKey = errors.New("config: unknown key")
)

// Config is the whole tgnats configuration.
type Config struct {
	DataDir  string    `yaml:"data_dir"`
	Log      Log       `yaml:"log"`
	HTTP     HTTP      `yaml:"http"`
	NATS     NATS      `yaml:"nats"`
	Accounts []Account `yaml:"accounts"`
	Ingest   Ingest    `yaml:"ingest"`
	Outbox   Outbox    `yaml:"outbox"`
	State    State     `yaml:"state"`
	Commands Commands  `yaml:"commands"`
	Files    Files     `yaml:"files"`
	Lease    Lease     `yaml:"lease"`
	Simulate Simulate  `yaml:"simulate"`
}

// Log configures the process logger.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text, json
}

// HTTP configures /metrics, /healthz and /readyz.
type HTTP struct {
	Listen string `yaml:"listen"` // host:port; "" disables
}

// NATS configures the connection, or the embedded server when URL is "".
type NATS struct {
	URL           string   `yaml:"url"`
	Listen        string   `yaml:"listen"`
	SubjectPrefix string   `yaml:"subject_prefix"`
	ContentMode   string   `yaml:"content_mode"` // binary, structured
	Stream        Stream   `yaml:"stream"`
	User          string   `yaml:"user"`
	Password      Secret   `yaml:"password"`
	PasswordFile  string   `yaml:"password_file"`
	Token         Secret   `yaml:"token"`
	TokenFile     string   `yaml:"token_file"`
	NKeySeedFile  string   `yaml:"nkey_seed_file"`
	CredsFile     string   `yaml:"creds_file"`
	TLS           TLSFiles `yaml:"tls"`
}

// Stream configures each account's event stream.
type Stream struct {
	Replicas        int           `yaml:"replicas"`
	MaxAge          time.Duration `yaml:"max_age"` // 0 keeps events forever
	DuplicateWindow time.Duration `yaml:"duplicate_window"`
}

// TLSFiles are PEM files for a TLS connection to NATS.
type TLSFiles struct {
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Account is one Telegram account.
type Account struct {
	Name         string `yaml:"name"`
	AppID        int    `yaml:"app_id"`
	AppHash      Secret `yaml:"app_hash"`
	AppHashFile  string `yaml:"app_hash_file"`
	BotToken     Secret `yaml:"bot_token"`
	BotTokenFile string `yaml:"bot_token_file"`
	Phone        string `yaml:"phone"`
	DC           DC     `yaml:"dc"`
}

// DC overrides the Telegram data center, for a test server or the simulator.
type DC struct {
	ID            int    `yaml:"id"`
	Address       string `yaml:"address"` // host:port
	PublicKeyFile string `yaml:"public_key_file"`
}

// Ingest tunes the update engine.
type Ingest struct {
	BackfillDepth   int           `yaml:"backfill_depth"`
	GapTimeout      time.Duration `yaml:"gap_timeout"`
	IdleTimeout     time.Duration `yaml:"idle_timeout"`
	DifferenceLimit int           `yaml:"difference_limit"`
	// BackfillOnJoin publishes a newly joined channel's history (up to
	// BackfillDepth messages) as message.created; off: from the join on.
	BackfillOnJoin bool `yaml:"backfill_on_join"`
}

// Outbox tunes the publisher.
type Outbox struct {
	Window       int           `yaml:"window"`
	DrainTimeout time.Duration `yaml:"drain_timeout"`
}

// State configures the per-account stores.
type State struct {
	EncryptionKey     Secret `yaml:"encryption_key"` // base64 of 32 bytes
	EncryptionKeyFile string `yaml:"encryption_key_file"`
	AllowInsecureDir  bool   `yaml:"allow_insecure_dir"`
}

// Commands configures egress.
type Commands struct {
	AllowPeers []string `yaml:"allow_peers"`
	// Rate limits of Telegram calls (calls per second and bursts), global
	// and per chat; Telegram's published limits for bots by default.
	RateGlobal   float64 `yaml:"rate_global"`
	BurstGlobal  int     `yaml:"burst_global"`
	RatePerChat  float64 `yaml:"rate_per_chat"`
	BurstPerChat int     `yaml:"burst_per_chat"`
	// Deadline bounds one command, waits for rate limits included; a
	// stream command whose connector died is redelivered after twice it.
	Deadline time.Duration `yaml:"deadline"`
	// MaxPending bounds the stream commands the connector holds at once
	// (fetched, waiting for their chat's turn): above it one busy chat
	// could keep other chats' commands from being fetched.
	MaxPending int `yaml:"max_pending"`
}

// Files configures the JetStream Object Store bucket of files
// (media.download, media.send from an object).
type Files struct {
	// Bucket is the bucket's name; "" is TG_<ACCOUNT>_FILES per account.
	Bucket string `yaml:"bucket"`
	// TTL is how long objects are kept (0: forever); MaxBytes bounds the
	// bucket (0: unbounded); Replicas its replicas (0: 1).
	TTL      time.Duration `yaml:"ttl"`
	MaxBytes int64         `yaml:"max_bytes"`
	Replicas int           `yaml:"replicas"`
	// Deadline bounds one transfer command in place of commands.deadline.
	Deadline time.Duration `yaml:"deadline"`
	// MaxUploadBytes bounds the object media.send sends.
	MaxUploadBytes int64 `yaml:"max_upload_bytes"`
	// AutoDownload stores the files of incoming messages before their
	// message.created events are published (off unless kinds are named).
	AutoDownload AutoDownload `yaml:"auto_download"`
	// ProgressBytes is the size from which a transfer sends live progress
	// signals (0: none).
	ProgressBytes int64 `yaml:"progress_bytes"`
	// ResumeBytes is the size from which a download is staged under
	// data_dir/files/partial and resumed after a crash, and an upload
	// resumed from the parts Telegram confirmed (0: none).
	ResumeBytes int64 `yaml:"resume_bytes"`
}

// AutoDownloadKinds are the media types files.auto_download.kinds may name.
var AutoDownloadKinds = []string{"photo", "document", "video", "audio", "voice", "video_note", "sticker", "animation"}

// AutoDownload configures the automatic download of incoming media.
type AutoDownload struct {
	// Kinds are the media types downloaded (AutoDownloadKinds); none: off.
	Kinds []string `yaml:"kinds"`
	// MaxBytes is the largest file downloaded; larger ones are published
	// without an object.
	MaxBytes int64 `yaml:"max_bytes"`
	// Wait bounds how long an event waits for its file (attempts and
	// retries included) before it is published without the object.
	Wait time.Duration `yaml:"wait"`
	// Parallel is the most files downloaded at once (default, and 0: 4); an event
	// waits for a free slot before its wait starts.
	Parallel int `yaml:"parallel"`
}

// Lease configures replicas and failover (DESIGN.md §7). It applies with
// an external NATS only: the embedded server lives in one process.
type Lease struct {
	Enabled            bool          `yaml:"enabled"`
	TTL                time.Duration `yaml:"ttl"`
	Bucket             string        `yaml:"bucket"`
	CheckpointBucket   string        `yaml:"checkpoint_bucket"` // "" disables checkpoints
	CheckpointInterval time.Duration `yaml:"checkpoint_interval"`
	Node               string        `yaml:"node"` // "" means the host name
}

// Simulator credentials, the defaults of an account with a dc.address.
const (
	SimulatorAppID   = 1
	SimulatorAppHash = "simulator"
)

// Default returns the configuration used when nothing is set.
func Default() *Config {
	return &Config{
		DataDir: "./data",
		Log:     Log{Level: "info", Format: "text"},
		HTTP:    HTTP{Listen: "127.0.0.1:9464"},
		NATS: NATS{
			Listen:        "127.0.0.1:4222",
			SubjectPrefix: schema.DefaultPrefix,
			ContentMode:   "binary",
			Stream:        Stream{Replicas: 1, DuplicateWindow: 2 * time.Hour},
		},
		Accounts: []Account{{Name: "main"}},
		Ingest:   Ingest{BackfillDepth: 100, GapTimeout: 500 * time.Millisecond, IdleTimeout: 15 * time.Minute, DifferenceLimit: 100},
		Outbox:   Outbox{Window: 1024, DrainTimeout: 10 * time.Second},
		Commands: Commands{RateGlobal: 30, BurstGlobal: 1, RatePerChat: 1, BurstPerChat: 3, Deadline: 30 * time.Second, MaxPending: 20000},
		Files: Files{Deadline: 30 * time.Minute, MaxUploadBytes: 2000 << 20, ProgressBytes: 4 << 20, ResumeBytes: 64 << 20,
			AutoDownload: AutoDownload{MaxBytes: 20 << 20, Wait: 2 * time.Minute, Parallel: 4}},
		Lease: Lease{Enabled: true, TTL: 15 * time.Second, Bucket: schema.DefaultLeaseBucket, CheckpointBucket: schema.DefaultCheckpointBucket, CheckpointInterval: 5 * time.Second},
	}
}

//go:embed example-config.yaml
var example []byte

// Example returns the commented example configuration.
func Example() []byte { return bytes.Clone(example) }

// Load returns the defaults overridden by the YAML file at path (none when
// path is "") and then by the TGNATS_* variables of environ (os.Environ
// form), with *_file secrets read. It does not validate.
func Load(path string, environ []string) (*Config, error) {
	c := Default()
	if path != "" {
		if err := c.loadFile(path); err != nil {
			return nil, err
		}
	}
	if err := c.loadEnv(environ); err != nil {
		return nil, err
	}
	c.applyDerived()
	return c, nil
}

func (c *Config) loadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	var root yaml.Node
	if err := yaml.NewDecoder(f).Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	if errs := checkYAML(&root); len(errs) > 0 {
		for i, err := range errs {
			errs[i] = fmt.Errorf("config: %s: %w", path, err)
		}
		return errors.Join(errs...)
	}
	if root.Kind != 0 {
		if err := root.Decode(c); err != nil {
			return fmt.Errorf("config: %s: %w", path, err)
		}
	}
	// Secrets from files named in the file.
	for _, s := range c.secrets() {
		if *s.path == "" {
			continue
		}
		if *s.value != "" {
			return fmt.Errorf("config: %s: %w", path, &FieldError{Field: s.name, Msg: "set only one of " + s.leaf + " and " + s.leaf + "_file"})
		}
		if err := s.read(); err != nil {
			return err
		}
	}
	return nil
}

// secretRef ties a secret to its *_file path.
type secretRef struct {
	name  string // field path, accounts[0].bot_token
	key   string // Set key, accounts.0.bot_token
	leaf  string // bot_token
	value *Secret
	path  *string
}

func (s secretRef) read() error {
	b, err := os.ReadFile(*s.path)
	if err != nil {
		return fmt.Errorf("config: %s_file: %w", s.name, err)
	}
	*s.value = Secret(strings.TrimSpace(string(b)))
	return nil
}

func (c *Config) secrets() []secretRef {
	refs := []secretRef{
		{name: "nats.password", key: "nats.password", leaf: "password", value: &c.NATS.Password, path: &c.NATS.PasswordFile},
		{name: "nats.token", key: "nats.token", leaf: "token", value: &c.NATS.Token, path: &c.NATS.TokenFile},
		{name: "state.encryption_key", key: "state.encryption_key", leaf: "encryption_key", value: &c.State.EncryptionKey, path: &c.State.EncryptionKeyFile},
	}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		refs = append(refs,
			secretRef{name: fmt.Sprintf("accounts[%d].app_hash", i), key: fmt.Sprintf("accounts.%d.app_hash", i), leaf: "app_hash", value: &a.AppHash, path: &a.AppHashFile},
			secretRef{name: fmt.Sprintf("accounts[%d].bot_token", i), key: fmt.Sprintf("accounts.%d.bot_token", i), leaf: "bot_token", value: &a.BotToken, path: &a.BotTokenFile},
		)
	}
	for i := range c.Simulate.Accounts {
		a := &c.Simulate.Accounts[i]
		refs = append(refs, secretRef{name: fmt.Sprintf("simulate.accounts[%d].password", i), key: fmt.Sprintf("simulate.accounts.%d.password", i), leaf: "password", value: &a.Password, path: &a.PasswordFile})
	}
	return refs
}

// applyDerived fills defaults that depend on other fields.
func (c *Config) applyDerived() {
	for i := range c.Accounts {
		a := &c.Accounts[i]
		if a.DC.Address == "" {
			continue
		}
		if a.AppID == 0 {
			a.AppID = SimulatorAppID
		}
		if a.AppHash == "" && a.AppHashFile == "" {
			a.AppHash = SimulatorAppHash
		}
	}
}

// String renders c as YAML with secrets redacted; fmt's %v and %+v use it.
func (c Config) String() string {
	b, err := yaml.Marshal(c.redacted())
	if err != nil {
		return "config: " + err.Error()
	}
	return string(b)
}

// LogValue renders c for log/slog as nested groups, secrets redacted.
func (c Config) LogValue() slog.Value { return logValue(reflect.ValueOf(c.redacted()).Elem()) }

// redacted returns a shallow copy of c safe to show: Secret fields redact
// themselves, and passwords in NATS URLs are replaced here.
func (c *Config) redacted() *Config {
	cp := *c
	urls := strings.Split(cp.NATS.URL, ",")
	for i, raw := range urls {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil {
			if strings.Contains(raw, "@") {
				urls[i] = redacted
			}
			continue
		}
		if u.User != nil {
			u.User = url.User(redacted)
			urls[i] = u.String()
		}
	}
	cp.NATS.URL = strings.Join(urls, ",")
	return &cp
}

// GoString makes %#v redact like String.
func (c Config) GoString() string { return c.String() }

var (
	_ slog.LogValuer = Config{}
	_ fmt.Stringer   = Config{}
)

func logValue(v reflect.Value) slog.Value {
	switch {
	case v.Type() == secretType:
		return v.Interface().(Secret).LogValue()
	case v.Type() == durationType:
		return slog.DurationValue(time.Duration(v.Int()))
	}
	switch v.Kind() {
	case reflect.Struct:
		var attrs []slog.Attr
		for i := range v.NumField() {
			attrs = append(attrs, slog.Attr{Key: yamlName(v.Type().Field(i)), Value: logValue(v.Field(i))})
		}
		return slog.GroupValue(attrs...)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String {
			return slog.StringValue(strings.Join(v.Interface().([]string), ","))
		}
		var attrs []slog.Attr
		for i := range v.Len() {
			attrs = append(attrs, slog.Attr{Key: fmt.Sprint(i), Value: logValue(v.Index(i))})
		}
		return slog.GroupValue(attrs...)
	case reflect.String:
		return slog.StringValue(v.String())
	case reflect.Int:
		return slog.Int64Value(v.Int())
	case reflect.Bool:
		return slog.BoolValue(v.Bool())
	}
	return slog.AnyValue(v.Interface())
}

// Secret is a value that is never shown: String, GoString, LogValue and
// marshalling give "[redacted]" (or "" when unset). Use Value to read it.
type Secret string

var secretType = reflect.TypeFor[Secret]()

const redacted = "[redacted]"

// Value returns the secret itself.
func (s Secret) Value() string { return string(s) }

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the secret.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalYAML implements yaml.Marshaler; the secret is never written.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalText implements encoding.TextMarshaler, for JSON and friends.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// FieldError is one invalid field. It wraps ErrInvalid.
type FieldError struct {
	Field string // accounts[0].app_id
	Msg   string // required
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap returns ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// InputVars are TGNATS_ variables that are inputs of a command (login,
// rekey), not configuration keys; Load ignores them.
var InputVars = []string{"TGNATS_LOGIN_CODE", "TGNATS_LOGIN_PASSWORD", "TGNATS_NEW_ENCRYPTION_KEY"}

// sortedEnv returns the TGNATS_ variables of environ in an order where
// list index 2 comes before 10.
func sortedEnv(environ []string) [][2]string {
	var kv [][2]string
	for _, e := range environ {
		k, v, ok := strings.Cut(e, "=")
		if ok && strings.HasPrefix(k, envPrefix) && k != envPrefix+"CONFIG" && !slices.Contains(InputVars, k) {
			kv = append(kv, [2]string{k, v})
		}
	}
	slices.SortStableFunc(kv, func(a, b [2]string) int { return naturalCompare(a[0], b[0]) })
	return kv
}

// naturalCompare orders strings with digit runs compared as numbers.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitPrefix(a), digitPrefix(b)
		if da != "" && db != "" {
			if c := len(da) - len(db); c != 0 {
				return c
			}
			if c := strings.Compare(da, db); c != 0 {
				return c
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func digitPrefix(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
