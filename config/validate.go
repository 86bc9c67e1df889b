package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

var (
	accountName = regexp.MustCompile(`^[a-z0-9_-]+$`)
	botToken    = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)
	phone       = regexp.MustCompile(`^\+?[0-9]{5,15}$`)
)

// Validate reports every invalid field, joined; each is a *FieldError
// wrapping ErrInvalid, named as in YAML: "accounts[0].app_id: required".
// Secret values never appear in the messages.
func (c *Config) Validate() error {
	v := &validator{}
	if c.DataDir == "" {
		v.add("data_dir", "required")
	}
	v.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	v.oneOf("log.format", c.Log.Format, "text", "json")
	if c.HTTP.Listen != "" {
		v.hostPort("http.listen", c.HTTP.Listen)
	}
	c.validateNATS(v)
	c.validateAccounts(v)

	if c.Ingest.BackfillDepth < 0 {
		v.add("ingest.backfill_depth", "must not be negative")
	}
	v.positive("ingest.gap_timeout", int64(c.Ingest.GapTimeout))
	v.positive("ingest.idle_timeout", int64(c.Ingest.IdleTimeout))
	v.positive("ingest.difference_limit", int64(c.Ingest.DifferenceLimit))
	v.positive("outbox.window", int64(c.Outbox.Window))
	v.positive("outbox.drain_timeout", int64(c.Outbox.DrainTimeout))

	if k := c.State.EncryptionKey; k != "" {
		key, err := base64.StdEncoding.DecodeString(k.Value())
		switch {
		case err != nil:
			v.add("state.encryption_key", "not valid base64")
		case len(key) != 32:
			v.add("state.encryption_key", fmt.Sprintf("must be 32 bytes, got %d", len(key)))
		}
	}
	cm := &c.Commands
	if cm.RateGlobal <= 0 {
		v.add("commands.rate_global", "must be positive (calls per second)")
	}
	if cm.RatePerChat <= 0 {
		v.add("commands.rate_per_chat", "must be positive (calls per second)")
	}
	v.positive("commands.burst_global", int64(cm.BurstGlobal))
	v.positive("commands.burst_per_chat", int64(cm.BurstPerChat))
	v.positive("commands.deadline", int64(cm.Deadline))
	if cm.MaxPending < 0 {
		v.add("commands.max_pending", "must not be negative (0: the default, 20000)")
	}
	f := c.Files
	v.positive("files.deadline", int64(f.Deadline))
	v.positive("files.max_upload_bytes", f.MaxUploadBytes)
	if f.TTL < 0 {
		v.add("files.ttl", "must not be negative (0: kept forever)")
	}
	if f.MaxBytes < 0 {
		v.add("files.max_bytes", "must not be negative (0: unbounded)")
	}
	if f.Replicas < 0 {
		v.add("files.replicas", "must not be negative (0: 1)")
	}
	if f.ProgressBytes < 0 {
		v.add("files.progress_bytes", "must not be negative (0: no progress signals)")
	}
	if f.ResumeBytes < 0 {
		v.add("files.resume_bytes", "must not be negative (0: transfers do not resume after a crash)")
	}
	ad := f.AutoDownload
	for i, k := range ad.Kinds {
		v.oneOf(fmt.Sprintf("files.auto_download.kinds[%d]", i), k, AutoDownloadKinds...)
	}
	if len(ad.Kinds) > 0 {
		v.positive("files.auto_download.max_bytes", ad.MaxBytes)
		v.positive("files.auto_download.wait", int64(ad.Wait))
		if ad.Parallel < 0 {
			v.add("files.auto_download.parallel", "must not be negative (0: 4)")
		}
	}
	c.validateLease(v)
	c.validateSimulate(v)
	for i, p := range c.Commands.AllowPeers {
		if p == "" || strings.ContainsAny(p, " \t\r\n") {
			v.add(fmt.Sprintf("commands.allow_peers[%d]", i), "must be a non-empty peer without spaces")
		}
	}
	return v.err()
}

func (c *Config) validateNATS(v *validator) {
	n := &c.NATS
	if n.URL == "" {
		v.hostPort("nats.listen", n.Listen)
	} else {
		for u := range strings.SplitSeq(n.URL, ",") {
			u = strings.TrimSpace(u)
			if !strings.Contains(u, "://") {
				u = "nats://" + u
			}
			p, err := url.Parse(u)
			if err != nil || p.Host == "" || !oneOf(p.Scheme, "nats", "tls", "ws", "wss") {
				v.add("nats.url", "want nats://host:port (tls, ws, wss also), comma-separated")
				break
			}
		}
	}
	if !validToken(n.SubjectPrefix) {
		v.add("nats.subject_prefix", fmt.Sprintf("must be one NATS subject token, got %q", n.SubjectPrefix))
	}
	v.oneOf("nats.content_mode", n.ContentMode, "binary", "structured")
	if r := n.Stream.Replicas; r < 1 || r > 5 {
		v.add("nats.stream.replicas", fmt.Sprintf("must be 1 to 5, got %d", r))
	}
	if n.Stream.MaxAge < 0 {
		v.add("nats.stream.max_age", "must not be negative")
	}
	v.positive("nats.stream.duplicate_window", int64(n.Stream.DuplicateWindow))
	if n.Stream.MaxAge > 0 && n.Stream.DuplicateWindow > n.Stream.MaxAge {
		v.add("nats.stream.duplicate_window", fmt.Sprintf("%s is longer than max_age %s", n.Stream.DuplicateWindow, n.Stream.MaxAge))
	}
	if n.User != "" && n.Password == "" {
		v.add("nats.password", "required with nats.user")
	}
	if n.User == "" && n.Password != "" {
		v.add("nats.user", "required with nats.password")
	}
	var methods []string
	for _, m := range []struct {
		name string
		set  bool
	}{{"user", n.User != ""}, {"token", n.Token != ""}, {"nkey_seed_file", n.NKeySeedFile != ""}, {"creds_file", n.CredsFile != ""}} {
		if m.set {
			methods = append(methods, m.name)
		}
	}
	if len(methods) > 1 {
		v.add("nats", "set only one way to authenticate, got "+strings.Join(methods, ", "))
	}
	if (n.TLS.CertFile == "") != (n.TLS.KeyFile == "") {
		v.add("nats.tls", "cert_file and key_file go together")
	}
	validateNATSFiles(v, n)
}

func (c *Config) validateAccounts(v *validator) {
	if len(c.Accounts) == 0 {
		v.add("accounts", "at least one account required")
	}
	seen := map[string]bool{}
	for i, a := range c.Accounts {
		at := func(f string) string { return fmt.Sprintf("accounts[%d].%s", i, f) }
		v.accountName(at("name"), a.Name, seen)
		if a.AppID == 0 {
			v.add(at("app_id"), "required")
		} else if a.AppID < 0 {
			v.add(at("app_id"), "must be positive")
		}
		if a.AppHash == "" {
			v.add(at("app_hash"), "required")
		}
		switch {
		case a.BotToken == "" && a.Phone == "":
			v.add(at("bot_token"), "required (or phone)")
		case a.BotToken != "" && a.Phone != "":
			v.add(at("phone"), "set only one of bot_token and phone")
		case a.BotToken != "" && !botToken.MatchString(a.BotToken.Value()):
			v.add(at("bot_token"), "malformed, want <bot id>:<secret> as given by @BotFather")
		case a.Phone != "" && !phone.MatchString(a.Phone):
			v.add(at("phone"), "want international format, e.g. +15551234567")
		}
		if a.DC.ID < 0 {
			v.add(at("dc.id"), "must not be negative")
		}
		if a.DC.Address != "" {
			v.hostPort(at("dc.address"), a.DC.Address)
		}
	}
}

// validToken reports whether s is one NATS subject token.
func validToken(s string) bool {
	return s != "" && !strings.ContainsAny(s, ".*> \t\r\n")
}

func oneOf(s string, allowed ...string) bool {
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	return false
}

type validator struct{ errs []error }

func (v *validator) add(field, msg string) {
	v.errs = append(v.errs, &FieldError{Field: field, Msg: msg})
}

func (v *validator) oneOf(field, value string, allowed ...string) {
	if !oneOf(value, allowed...) {
		v.add(field, fmt.Sprintf("must be one of %s, got %q", strings.Join(allowed, ", "), value))
	}
}

func (v *validator) positive(field string, n int64) {
	if n <= 0 {
		v.add(field, "must be positive")
	}
}

func (v *validator) hostPort(field, addr string) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.add(field, fmt.Sprintf("want host:port, got %q", addr))
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		v.add(field, fmt.Sprintf("invalid port %q", port))
	}
}

func (v *validator) err() error { return errors.Join(v.errs...) }

// accountName checks an account's name: set, of [a-z0-9_-], and not one
// seen before (it is added to seen).
func (v *validator) accountName(field, name string, seen map[string]bool) {
	switch {
	case name == "":
		v.add(field, "required")
	case !accountName.MatchString(name):
		v.add(field, fmt.Sprintf("must match [a-z0-9_-]+, got %q", name))
	case seen[name]:
		v.add(field, fmt.Sprintf("duplicate account %q", name))
	}
	seen[name] = true
}
