package sim

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"unsafe"

	"github.com/gotd/td/tgtest"
)

// Auth keys persist with the world (Config.Dir): a restarted simulator
// knows the keys its clients hold and which account each logged in as, so
// a client reconnects with its key instead of re-keying and logging in
// again (~0.5 s instead of ~5 s). The file holds key material: it is
// written 0600, like the RSA key.

const sessionsFile = "auth_keys.json"

type storedKey struct {
	ID      string `json:"id"`  // hex
	Key     []byte `json:"key"` // 256 bytes
	Account string `json:"account"`
	DC      int    `json:"dc,omitempty"` // the account's home DC when not the first (dcs.go)
}

// loadSessions reads the persisted auth keys into s.authKeys and s.keys.
func (s *Sim) loadSessions() error {
	if s.cfg.Dir == "" {
		return nil
	}
	path := filepath.Join(s.cfg.Dir, sessionsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read auth keys: %w", err)
	}
	var stored []storedKey
	if err := json.Unmarshal(b, &stored); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	}
	for _, k := range stored {
		id, err := hex.DecodeString(k.ID)
		if err != nil || len(id) != 8 || len(k.Key) != 256 {
			return fmt.Errorf("%w: %s: malformed key %q", ErrCorrupt, path, k.ID)
		}
		if _, ok := s.w.byName[k.Account]; !ok {
			continue // an account no longer served
		}
		var key [8]byte
		copy(key[:], id)
		s.authKeys[key] = k.Account
		s.keys[key] = [256]byte(k.Key)
		if k.DC != 0 && k.DC != dcID {
			s.keyDC[key] = k.DC
		}
	}
	return nil
}

// rememberKeyLocked notes sess's key value and saves the logged-in keys.
// s.net must be held.
func (s *Sim) rememberKeyLocked(sess tgtest.Session) {
	s.keys[sess.AuthKey.ID] = sess.AuthKey.Value
	s.saveSessionsLocked()
}

// saveSessionsLocked writes the logged-in keys. s.net must be held.
func (s *Sim) saveSessionsLocked() {
	if s.cfg.Dir == "" {
		return
	}
	stored := make([]storedKey, 0, len(s.authKeys))
	for id, acc := range s.authKeys {
		v, ok := s.keys[id]
		if !ok {
			continue
		}
		stored = append(stored, storedKey{ID: hex.EncodeToString(id[:]), Key: v[:], Account: acc, DC: s.keyDC[id]})
	}
	b, err := json.Marshal(stored)
	if err == nil {
		err = writeFileAtomic(filepath.Join(s.cfg.Dir, sessionsFile), b)
	}
	if err != nil {
		s.log.Warn("auth keys not saved: clients re-key after a restart", "err", err)
	}
}

// restoreSessions hands the persisted keys to gotd's tgtest server. tgtest
// has no API for it: the keys go into its unexported session map, found
// by reflection; if gotd changes that layout the keys are not restored
// (clients re-key) and a warning says so.
func (s *Sim) restoreSessions(srv *tgtest.Server, dc int) {
	s.net.Lock()
	defer s.net.Unlock()
	keys := map[[8]byte][256]byte{}
	for id, v := range s.keys {
		if kdc, ok := s.keyDC[id]; ok && kdc == dc || !ok && dc == dcID {
			keys[id] = v
		}
	}
	if len(keys) == 0 {
		return
	}
	if err := injectSessions(srv, keys); err != nil {
		s.log.Warn("auth keys not restored: clients re-key", "err", err)
		return
	}
	s.log.Debug("auth keys restored", "dc", dc, "keys", len(keys))
}

func injectSessions(srv *tgtest.Server, keys map[[8]byte][256]byte) error {
	users := reflect.ValueOf(srv).Elem().FieldByName("users")
	if !users.IsValid() || users.Kind() != reflect.Pointer || users.IsNil() {
		return errors.New("tgtest.Server has no users")
	}
	sessions := users.Elem().FieldByName("sessions")
	var sample = tgtest.Session{}.AuthKey
	if !sessions.IsValid() || sessions.Kind() != reflect.Map ||
		sessions.Type().Key() != reflect.TypeOf([8]byte{}) || sessions.Type().Elem() != reflect.TypeOf(sample) {
		return errors.New("tgtest users have no sessions map of auth keys")
	}
	m := reflect.NewAt(sessions.Type(), unsafe.Pointer(sessions.UnsafeAddr())).Elem()
	for id, v := range keys {
		k := sample
		k.ID, k.Value = id, v
		m.SetMapIndex(reflect.ValueOf(id), reflect.ValueOf(k))
	}
	return nil
}
