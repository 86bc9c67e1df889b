package sim

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// A snapshot is the whole world, gob-encoded, with the journal offset it
// covers: a restart loads it and replays only the journal lines after
// that offset, so it stays fast at any age of the world. One is written
// after a restart that replayed ops, every Config.SnapshotEvery ops while
// running (with the world locked), and on Close. It is written to a
// temporary file and renamed, so a crash leaves the previous one.

const (
	snapshotFile    = "world.snap"
	snapshotVersion = 1
)

type snapshot struct {
	Version       int
	JournalOffset int64
	World         worldState
}

// worldState is the persistent part of a world.
type worldState struct {
	Accounts  map[string]accountState
	Users     map[int64]*user
	UserOrder []int64
	Chats     map[int64]*basicChat
	Channels  map[int64]*channel
	ChanOrder []int64
	Copies    map[uint64][]copyRef
	NextUser  int64
	NextChat  int64
	NextChan  int64
	NextLogic uint64
	LedgerSeq uint64
	Scen      *scenarioWorld
	Media     map[int64]*mediaInfo
	Randoms   map[string]map[int64]int
	// Uploads are the pending uploads of earlier versions, their parts'
	// bytes in the snapshot; PendingUploads those in the upload store.
	Uploads        map[uploadKey]map[int][]byte
	PendingUploads map[uploadKey]*pendingUpload
	NextUpload     int64
	Queries        map[int64]*callbackQuery
	NextQuery      int64
	Forbidden      map[forbidKey]bool
	// Actions and ActionSeq are the served calls (world.calls, callSeq),
	// named as in every earlier snapshot: gob matches fields by name.
	Actions   map[string][]Call
	ActionSeq uint64
	// Profiles are the renames (profile_world.go).
	Profiles []profileUpdate
}

type accountState struct {
	Box    *box
	Ledger []LedgerEntry
	// LedgerBase and Trimmed: see account (Config.LedgerWindow).
	LedgerBase int
	Trimmed    map[string]int
	Qts        int
	QtsEvents  []qtsEvent
}

func (w *world) state() worldState {
	st := worldState{
		Accounts: map[string]accountState{}, Users: w.users, UserOrder: w.userOrder, Chats: w.chats,
		Channels: w.channels, ChanOrder: w.chanOrder, Copies: w.copies, NextUser: w.nextUser,
		NextChat: w.nextChat, NextChan: w.nextChan, NextLogic: w.nextLogic, LedgerSeq: w.ledgerSeq,
		Scen: w.scen, Media: w.media, Randoms: w.randoms, PendingUploads: w.uploads, NextUpload: w.nextUpload, Queries: w.queries,
		NextQuery: w.nextQuery, Forbidden: w.forbidden, Actions: w.calls, ActionSeq: w.callSeq,
		Profiles: w.profiles,
	}
	for _, a := range w.accounts {
		st.Accounts[a.Name] = accountState{Box: a.Box, Ledger: a.Ledger, LedgerBase: a.LedgerBase, Trimmed: a.Trimmed, Qts: a.Qts, QtsEvents: a.QtsEvents}
	}
	return st
}

// restore replaces w's state with st; accounts keep their configuration.
// It fails only when the upload store cannot take an earlier version's
// pending uploads.
func (w *world) restore(st worldState) error {
	for _, a := range w.accounts {
		if as, ok := st.Accounts[a.Name]; ok {
			a.Box, a.Ledger, a.Qts, a.QtsEvents = as.Box, as.Ledger, as.Qts, as.QtsEvents
			a.LedgerBase, a.Trimmed = as.LedgerBase, as.Trimmed
			a.recent = nil
		}
		if a.Box == nil {
			a.Box = newBox()
		}
		fixBox(a.Box)
	}
	w.users, w.userOrder, w.chats, w.channels, w.chanOrder = orEmpty(st.Users), st.UserOrder, orEmpty(st.Chats), orEmpty(st.Channels), st.ChanOrder
	w.copies, w.nextUser, w.nextChat, w.nextChan = orEmpty(st.Copies), st.NextUser, st.NextChat, st.NextChan
	w.nextLogic, w.ledgerSeq, w.scen, w.media = st.NextLogic, st.LedgerSeq, st.Scen, orEmpty(st.Media)
	w.randoms, w.uploads, w.queries, w.nextQuery = orEmpty(st.Randoms), orEmpty(st.PendingUploads), orEmpty(st.Queries), st.NextQuery
	w.nextUpload = st.NextUpload
	w.forbidden, w.calls, w.callSeq = orEmpty(st.Forbidden), orEmpty(st.Actions), st.ActionSeq
	w.profiles = st.Profiles
	for _, ch := range w.channels {
		if ch.Box == nil {
			ch.Box = newBox()
		}
		fixBox(ch.Box)
	}
	for _, a := range w.accounts { // account users are not journaled: keep them
		if _, ok := w.users[a.UserID]; !ok {
			w.users[a.UserID] = &user{ID: a.UserID, AccessHash: accessHash("user", a.UserID), First: a.FirstName, Username: a.Username, Bot: a.BotToken != ""}
		}
	}
	for k, parts := range st.Uploads { // an earlier version's: to the store
		for part, data := range parts {
			if err := w.savePart(k, part, 0, len(data), data); err != nil {
				return err
			}
		}
	}
	return nil
}

// orEmpty returns m, or an empty map for nil: gob leaves empty maps nil.
func orEmpty[M ~map[K]V, K comparable, V any](m M) M {
	if m == nil {
		return M{}
	}
	return m
}

func fixBox(b *box) {
	b.Msgs = orEmpty(b.Msgs)
	b.ByPeer = orEmpty(b.ByPeer)
}

// loadSnapshot reads dir's snapshot; a missing one is (nil, nil).
func loadSnapshot(dir string) (*snapshot, error) {
	f, err := os.Open(filepath.Join(dir, snapshotFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open snapshot: %w", err)
	}
	defer f.Close()
	var snap snapshot
	if err := gob.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&snap); err != nil {
		return nil, fmt.Errorf("%w: snapshot %s: %w", ErrCorrupt, f.Name(), err)
	}
	if snap.Version != snapshotVersion {
		return nil, fmt.Errorf("%w: snapshot %s has version %d, want %d", ErrCorrupt, f.Name(), snap.Version, snapshotVersion)
	}
	return &snap, nil
}

// snapshotLocked writes the world and the journal offset it covers.
// s.mu must be held.
func (s *Sim) snapshotLocked() error {
	if s.j == nil || s.j.f == nil {
		return nil
	}
	start := time.Now()
	path := filepath.Join(s.cfg.Dir, snapshotFile)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = gob.NewEncoder(bw).Encode(&snapshot{Version: snapshotVersion, JournalOffset: s.j.size, World: s.w.state()})
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write snapshot: %w", err)
	}
	s.j.ops = 0
	s.log.Debug("world snapshot written", "journal_offset", s.j.size, "took", time.Since(start))
	return nil
}
