package sim

import (
	"encoding/hex"
	"time"
)

// KeyOverlap is an instant at which two client connections carried the
// same auth key: two clients running one session, which Telegram punishes
// by revoking the key (AUTH_KEY_DUPLICATED). Each gotd client talks to the
// simulator over one connection at a time (a reconnect closes the old one
// first), so two open connections with one key are two clients.
type KeyOverlap struct {
	Account   string // "" when the key never logged in
	AuthKeyID string // hex
	// First is the connection already open, Second the newcomer (remote addresses).
	First, Second string
	At            time.Time
}

// KeyOverlaps returns every overlap seen since the simulator started, oldest first.
func (s *Sim) KeyOverlaps() []KeyOverlap {
	s.net.Lock()
	defer s.net.Unlock()
	out := make([]KeyOverlap, len(s.overlaps))
	for i, o := range s.overlaps {
		out[i] = KeyOverlap{Account: s.authKeys[o.key], AuthKeyID: hex.EncodeToString(o.key[:]), First: o.first, Second: o.second, At: o.at}
	}
	return out
}

type keyOverlap struct {
	key           [8]byte
	first, second string
	at            time.Time
}

// noteOverlapLocked records c, which just showed auth key k, against every
// other open connection with that key. s.net must be held.
func (s *Sim) noteOverlapLocked(c *trackedConn, k [8]byte) {
	for other := range s.conns {
		if other == c {
			continue
		}
		if ok, has := other.authKey(); has && ok == k {
			o := keyOverlap{key: k, first: other.RemoteAddr().String(), second: c.RemoteAddr().String(), at: time.Now()}
			s.overlaps = append(s.overlaps, o)
			s.log.Warn("auth key used by two connections at once (AUTH_KEY_DUPLICATED on Telegram)",
				"auth_key_id", hex.EncodeToString(k[:]), "first", o.first, "second", o.second)
		}
	}
}
