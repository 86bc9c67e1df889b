package sim

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgtest"
	"github.com/gotd/td/tgtest/services"
	tgconfig "github.com/gotd/td/tgtest/services/config"
	"github.com/gotd/td/transport"
	"go.uber.org/zap"

	"github.com/tgnats/tgnats/schema"
)

// dcID is the single DC the simulator serves.
const dcID = 2

const (
	keyFile  = "key.pem"
	portFile = "port"
)

// Sim is a simulated Telegram. Create it with New, serve it with Run.
type Sim struct {
	cfg Config
	log *slog.Logger
	key *rsa.PrivateKey

	// mu guards the world, the journal and the faults.
	mu      sync.Mutex
	w       *world
	j       *journal
	f       *faultState // faultstate.go; locked after mu
	gen     generator   // traffic.go
	closed  bool
	pushers map[string]*pusher
	resent  *resentCache // answers of the latest requests, for resends (resent.go)

	// net guards everything about connections and authorizations.
	net      sync.Mutex
	srv      *tgtest.Server
	endpoint Endpoint
	conns    map[*trackedConn]struct{}
	authKeys map[[8]byte]string                    // auth key id → account name
	keyDC    map[[8]byte]int                       // auth key id → its DC, when not the first (dcs.go)
	servers  map[int]*tgtest.Server                // by DC
	keys     map[[8]byte][256]byte                 // auth key id → key, for persistence (sessions.go)
	sessions map[string]map[[8]byte]tgtest.Session // account → auth key id → latest session
	maxLive  map[string]int
	users    *userAuth    // user logins (auth_user.go)
	overlaps []keyOverlap // see authkeys.go

	routes      map[uint32]route // routes.go
	dispatch    *tgtest.Dispatcher
	dispatchers map[int]*tgtest.Dispatcher // of the DCs other than the home DC; set before serving (dcs.go)
	dcs         *dcAuth
	running     atomic.Bool
	ready       chan struct{}
	metrics     *metrics
}

// New creates a simulator. With Config.Dir it loads (or creates) the RSA
// key and replays the journal, so the world continues where it stopped.
func New(cfg Config) (*Sim, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Sim{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "sim"),
		w:        newWorld(cfg.Accounts),
		pushers:  map[string]*pusher{},
		conns:    map[*trackedConn]struct{}{},
		authKeys: map[[8]byte]string{},
		keyDC:    map[[8]byte]int{},
		keys:     map[[8]byte][256]byte{},
		sessions: map[string]map[[8]byte]tgtest.Session{},
		maxLive:  map[string]int{},
		f:        newFaultState(),
		users:    newUserAuth(),
		ready:    make(chan struct{}),
		metrics:  newMetrics(),
		routes:   routes(),
		resent:   newResentCache(),
		dcs:      newDCAuth(),
	}
	for _, a := range cfg.Accounts {
		s.pushers[a.Name] = newPusher()
	}
	if cfg.Dir == "" {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("generate key: %w", err)
		}
		s.key = k
		return s, nil
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create dir: %w", err)
	}
	s.w.store = newUploadStore(cfg.Dir)
	k, err := loadOrCreateKey(filepath.Join(cfg.Dir, keyFile))
	if err != nil {
		return nil, err
	}
	s.key = k
	start := time.Now()
	snap, err := loadSnapshot(cfg.Dir)
	if err != nil {
		return nil, err
	}
	var offset int64
	if snap != nil {
		if err := s.w.restore(snap.World); err != nil {
			return nil, fmt.Errorf("restore snapshot: %w", err)
		}
		offset = snap.JournalOffset
	}
	j, ops, err := openJournal(cfg.Dir, offset)
	if err != nil {
		return nil, err
	}
	s.j = j
	for i := range ops {
		if _, err := s.w.apply(&ops[i]); err != nil {
			s.log.Warn("journal op not replayed", "index", i, "op", ops[i].kind(), "err", err)
		}
	}
	s.w.trim(&s.cfg)
	if len(ops) > 0 {
		if err := s.snapshotLocked(); err != nil {
			s.log.Warn("snapshot not written", "err", err)
		}
	}
	if err := s.loadSessions(); err != nil {
		_ = j.close()
		return nil, err
	}
	s.log.Info("world restored", "snapshot", snap != nil, "replayed_ops", len(ops), "took", time.Since(start))
	return s, nil
}

func loadOrCreateKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		block, _ := pem.Decode(b)
		if block == nil {
			return nil, fmt.Errorf("%w: %s holds no PEM key", ErrInvalid, path)
		}
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse key %s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read key: %w", err)
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	if err := writeFileAtomic(path, data); err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("chmod key: %w", err)
	}
	return k, nil
}

// Ready is closed once Run listens; Endpoint is valid from then on.
func (s *Sim) Ready() <-chan struct{} { return s.ready }

// Endpoint returns where the simulator listens. Valid after Ready.
func (s *Sim) Endpoint() Endpoint {
	s.net.Lock()
	defer s.net.Unlock()
	return s.endpoint
}

// Run serves MTProto until ctx is done, then closes every connection and
// the journal. It returns nil on ctx cancellation. Run may be called once.
func (s *Sim) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer s.Close()
	ln, err := s.listen(ctx)
	if err != nil {
		return err
	}
	addr := ln.Addr().(*net.TCPAddr)
	// The other DCs listen on the home DC's host, each on a port of its own.
	var lc net.ListenConfig
	mediaLn, err := lc.Listen(ctx, "tcp", net.JoinHostPort(addr.IP.String(), "0"))
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("listen DC %d: %w", MediaDC, err)
	}
	addrs := map[int]*net.TCPAddr{dcID: addr, MediaDC: mediaLn.Addr().(*net.TCPAddr)}
	options := dcOptions(addrs)

	newDispatcher := func(dc int) *tgtest.Dispatcher {
		d := tgtest.NewDispatcher()
		tgconfig.NewService(&tg.Config{
			DCOptions: options,
			Date:      int(s.cfg.Now().Unix()), Expires: int(s.cfg.Now().Add(time.Hour).Unix()),
			ThisDC: dc, ChatSizeMax: 200, MegagroupSizeMax: 200000, CallReceiveTimeoutMs: 20000,
			CallRingTimeoutMs: 90000, CallConnectTimeoutMs: 30000, CallPacketTimeoutMs: 10000,
			MeURLPrefix: "https://t.me/", CaptionLengthMax: 1024, MessageLengthMax: 4096,
			OnlineUpdatePeriodMs: 210000, OfflineBlurTimeoutMs: 5000, OnlineCloudTimeoutMs: 300000,
			EditTimeLimit: 172800, ForwardedCountMax: 100,
		}, &tg.CDNConfig{}).Register(d)
		s.register(d)
		d.Fallback(services.NotImplemented)
		return d
	}
	s.dispatch = newDispatcher(dcID)
	s.dispatchers = map[int]*tgtest.Dispatcher{MediaDC: newDispatcher(MediaDC)}
	newServer := func(dc int) *tgtest.Server {
		return tgtest.NewServer(tgtest.NewPrivateKey(s.key), tgtest.UnpackInvoke(tgtest.HandlerFunc(s.gate)), tgtest.ServerOptions{
			DC:          dc,
			Logger:      zap.NewNop(),
			ReadTimeout: 10 * time.Minute,
		})
	}
	srv, mediaSrv := newServer(dcID), newServer(MediaDC)
	s.restoreSessions(srv, dcID)
	s.restoreSessions(mediaSrv, MediaDC)
	s.net.Lock()
	s.srv = srv
	s.servers = map[int]*tgtest.Server{dcID: srv, MediaDC: mediaSrv}
	s.endpoint = Endpoint{DC: dcID, Addr: addr.String(), PublicKeyPEM: encodePublicKey(&s.key.PublicKey),
		OtherDCs: []DCAddr{{DC: MediaDC, Addr: addrs[MediaDC].String()}}}
	s.net.Unlock()
	s.log.Info("simulator listening", "addr", addr.String(), "dc", dcID, "media_dc_addr", addrs[MediaDC].String(), "dir", s.cfg.Dir)
	close(s.ready)

	var wg sync.WaitGroup
	for name, p := range s.pushers {
		wg.Go(func() { s.runPusher(ctx, name, p) })
	}
	wg.Go(func() {
		<-ctx.Done()
		s.DropConnections()
	})
	wg.Go(func() {
		if err := mediaSrv.Serve(ctx, transport.ListenCodec(newSniffCodec, &trackedListener{Listener: mediaLn, sim: s})); err != nil && ctx.Err() == nil {
			s.log.Error("DC stopped serving", "dc", MediaDC, "err", err)
		}
	})
	err = srv.Serve(ctx, transport.ListenCodec(newSniffCodec, &trackedListener{Listener: ln, sim: s}))
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// Close closes the journal; later changes fail with ErrClosed. Run calls it
// on return; call it yourself only for a simulator that never ran.
func (s *Sim) Close() error {
	s.gen.mu.Lock()
	s.stopTrafficLocked()
	s.gen.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed && s.j != nil && s.j.ops > 0 {
		if err := s.snapshotLocked(); err != nil {
			s.log.Warn("snapshot not written", "err", err)
		}
	}
	s.closed = true
	if err := s.w.store.close(); err != nil {
		s.log.Warn("upload store not removed", "err", err)
	}
	return s.j.close()
}

func (s *Sim) listen(ctx context.Context) (net.Listener, error) {
	var lc net.ListenConfig
	addr := s.cfg.Listen
	if s.cfg.Dir != "" {
		host, port, err := net.SplitHostPort(addr)
		if err == nil && port == "0" {
			if b, err := os.ReadFile(filepath.Join(s.cfg.Dir, portFile)); err == nil {
				if p, err := strconv.Atoi(string(b)); err == nil && p > 0 {
					if ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(p))); err == nil {
						return ln, nil
					}
					s.log.Info("persisted port busy, listening on a new one", "port", p)
				}
			}
		}
	}
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if s.cfg.Dir != "" {
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		if err := writeFileAtomic(filepath.Join(s.cfg.Dir, portFile), []byte(port)); err != nil {
			_ = ln.Close()
			return nil, err
		}
	}
	return ln, nil
}

// change applies o, journals it and queues its pushes.
func (s *Sim) change(o *op) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, _, err := s.changeLocked(o, nil)
	return res, err
}

// caller is the session whose API call makes a change.
type caller struct {
	account string
	authKey [8]byte
}

// changeLocked is change with s.mu held. Pushes to the caller's account
// skip the caller's session and are also returned: they are the call's
// result.
func (s *Sim) changeLocked(o *op, c *caller) (int64, []push, error) {
	if s.closed {
		return 0, nil, ErrClosed
	}
	o.Now = s.cfg.Now().Unix()
	if o.Call != nil && o.Call.Served.IsZero() {
		o.Call.Served = time.Now()
	}
	s.w.live = true
	s.w.pushes = s.w.pushes[:0]
	res, err := s.w.apply(o)
	s.w.live = false
	if err != nil {
		return 0, nil, err
	}
	if err := s.j.append(o); err != nil {
		// The world is now ahead of the journal: a restart loses this op.
		s.log.Error("journal append failed", "op", o.kind(), "err", err)
		return res, nil, err
	}
	s.w.trim(&s.cfg)
	if s.j != nil && s.j.ops >= s.cfg.SnapshotEvery {
		if err := s.snapshotLocked(); err != nil {
			s.log.Warn("snapshot not written", "err", err)
		}
	}
	var own []push
	for _, p := range s.w.pushes {
		if c != nil && p.Account == c.account {
			p.Exclude, p.HasExclude = c.authKey, true
			own = append(own, p)
		}
		s.enqueueLocked(p)
	}
	s.w.pushes = s.w.pushes[:0]
	return res, own, nil
}

// CreateUser adds a user to the world and returns its id.
func (s *Sim) CreateUser(first, last, username string) int64 {
	id, err := s.change(&op{Body: &userOp{First: first, Last: last, Username: username}})
	if err != nil {
		s.log.Error("create user", "err", err)
	}
	return id
}

// CreateChat creates a basic group (schema.PeerChat) or a supergroup
// (schema.PeerChannel) with the given users; every account is a member.
func (s *Sim) CreateChat(kind schema.PeerKind, title string, members ...int64) (schema.PeerRef, error) {
	id, err := s.change(&op{Body: &chatOp{PeerKind: kind, Title: title, Members: members}})
	if err != nil {
		return schema.PeerRef{}, fmt.Errorf("create chat: %w", err)
	}
	return schema.PeerRef{Kind: kind, ID: id}, nil
}

// CreateBroadcast creates a broadcast channel; every account is a member.
func (s *Sim) CreateBroadcast(title string) (schema.PeerRef, error) {
	id, err := s.change(&op{Body: &broadcastOp{Title: title}})
	if err != nil {
		return schema.PeerRef{}, fmt.Errorf("create broadcast: %w", err)
	}
	return schema.PeerRef{Kind: schema.PeerChannel, ID: id}, nil
}

// SendMessage posts m and returns its id (for basic groups: the id in
// m.Account's copy). Every member account gets it recorded and pushed.
func (s *Sim) SendMessage(ctx context.Context, m Outgoing) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	id, err := s.change(&op{Body: &sendOp{Out: &m}})
	if err != nil {
		return 0, fmt.Errorf("send message: %w", err)
	}
	return int(id), nil
}

// EditMessage edits the text of a message; account names whose copy msgID
// is (ignored for channels). Every copy gets a strictly newer edit date.
func (s *Sim) EditMessage(ctx context.Context, chat schema.PeerRef, account string, msgID int, text string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.change(&op{Body: &editOp{Chat: chat, Account: account, IDs: []int{msgID}, Text: text}}); err != nil {
		return fmt.Errorf("edit message: %w", err)
	}
	return nil
}

// EditMessageSameSecond is EditMessage with Telegram's clock: the edit
// date is the current second, so two edits within one second share it
// (and their ledger entries share a version).
func (s *Sim) EditMessageSameSecond(ctx context.Context, chat schema.PeerRef, account string, msgID int, text string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.change(&op{Body: &editOp{Chat: chat, Account: account, IDs: []int{msgID}, Text: text, SameSecond: true}}); err != nil {
		return fmt.Errorf("edit message: %w", err)
	}
	return nil
}

// DeleteMessages deletes messages (ids as account sees them; ignored for
// channels) for everyone. Already deleted ids are skipped.
func (s *Sim) DeleteMessages(ctx context.Context, chat schema.PeerRef, account string, ids ...int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.change(&op{Body: &deleteOp{Chat: chat, Account: account, IDs: ids}}); err != nil {
		return fmt.Errorf("delete messages: %w", err)
	}
	return nil
}

// Ledger returns every change account saw, in production order; with
// Config.LedgerWindow, the latest of them only (LedgerLen counts all).
func (s *Sim) Ledger(account string) []LedgerEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.w.byName[account]
	if !ok {
		return nil
	}
	return slices.Clone(a.Ledger)
}

// LedgerLen returns how many changes account saw.
func (s *Sim) LedgerLen(account string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.w.byName[account]; ok {
		return a.LedgerBase + len(a.Ledger)
	}
	return 0
}

// LedgerSince returns the changes account saw from the from-th on (0 is
// the first), in production order: Ledger(account)[from:] without copying
// the rest. With Config.LedgerWindow, from counts the changes no longer
// kept too, and those are left out.
func (s *Sim) LedgerSince(account string, from int) []LedgerEntry {
	entries, _ := s.LedgerFrom(account, from)
	return entries
}

// LedgerFrom is LedgerSince, with the index of its first entry: from,
// or with Config.LedgerWindow the oldest change still kept when from is
// older. first+len(entries) is LedgerLen at the time.
func (s *Sim) LedgerFrom(account string, from int) (entries []LedgerEntry, first int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.w.byName[account]
	if !ok {
		return nil, 0
	}
	i := max(from-a.LedgerBase, 0)
	if i >= len(a.Ledger) {
		return nil, a.LedgerBase + len(a.Ledger)
	}
	return slices.Clone(a.Ledger[i:]), a.LedgerBase + i
}

// State returns account's common-box state (pts, qts, date, seq) as
// updates.getState would answer it.
func (s *Sim) State(account string) (tg.UpdatesState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.w.account(account)
	if err != nil {
		return tg.UpdatesState{}, err
	}
	return tg.UpdatesState{Pts: a.Box.Pts, Qts: a.Qts, Date: a.Box.Date, Seq: a.Box.Seq}, nil
}

// ChannelPts returns a channel's pts.
func (s *Sim) ChannelPts(channelID int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.w.channels[channelID]
	if !ok {
		return 0, fmt.Errorf("%w: channel %d", ErrNotFound, channelID)
	}
	return ch.Box.Pts, nil
}

// DropConnections closes every live client connection.
func (s *Sim) DropConnections() {
	s.net.Lock()
	conns := make([]*trackedConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.net.Unlock()
	if len(conns) > 0 {
		s.metrics.fault("dropped_connection")
	}
	for _, c := range conns {
		_ = c.Close()
	}
}

// MaxConcurrentSessions returns the largest number of auth keys of account
// that were connected at one time.
func (s *Sim) MaxConcurrentSessions(account string) int {
	s.net.Lock()
	defer s.net.Unlock()
	return s.maxLive[account]
}

// sessionsOf returns the latest session of each connected auth key of account.
func (s *Sim) sessionsOf(account string) []tgtest.Session {
	s.net.Lock()
	defer s.net.Unlock()
	out := make([]tgtest.Session, 0, len(s.sessions[account]))
	for _, sess := range s.sessions[account] {
		out = append(out, sess)
	}
	return out
}

// liveLocked recomputes the connected auth keys per account. s.net must be held.
func (s *Sim) liveLocked() map[string]map[[8]byte]bool {
	live := map[string]map[[8]byte]bool{}
	for c := range s.conns {
		k, ok := c.authKey()
		if !ok {
			continue
		}
		acc, ok := s.authKeys[k]
		if !ok {
			continue
		}
		if live[acc] == nil {
			live[acc] = map[[8]byte]bool{}
		}
		live[acc][k] = true
	}
	for acc, keys := range live {
		s.maxLive[acc] = max(s.maxLive[acc], len(keys))
	}
	// Forget sessions whose auth key has no connection left.
	for acc, m := range s.sessions {
		for k := range m {
			if !live[acc][k] {
				delete(m, k)
			}
		}
	}
	return live
}

func (s *Sim) liveSessionCounts() map[string]int {
	s.net.Lock()
	defer s.net.Unlock()
	out := map[string]int{}
	for acc, keys := range s.liveLocked() {
		out[acc] = len(keys)
	}
	return out
}
