package sim

import (
	"crypto/rand"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// Several DCs (https://core.telegram.org/api/datacenter). The simulator
// serves its world from dcID, the home DC of every account, and from
// MediaDC, a second MTProto endpoint with its own listener and the same
// world. Files of messages injected with File.DC = MediaDC live there:
// upload.getFile on another DC answers FILE_MIGRATE_X, as Telegram does,
// and a client authorizes on MediaDC by auth.exportAuthorization (on its
// home DC) and auth.importAuthorization (on MediaDC). Sessions on MediaDC
// get no updates: they are for files.

// MediaDC is the simulator's second DC: File.DC = MediaDC puts a file there.
const MediaDC = 4

// dcIDs are the DCs the simulator serves, home DC first.
var dcIDs = []int{dcID, MediaDC}

var (
	errDCInvalid        = tgerr.New(400, "DC_ID_INVALID")
	errAuthBytesInvalid = tgerr.New(400, "AUTH_BYTES_INVALID")
)

// fileMigrate is the error of a file request on a DC the file is not on.
func fileMigrate(dc int) error { return tgerr.New(303, "FILE_MIGRATE_"+strconv.Itoa(dc)) }

// dcAuth holds the authorizations of the DCs other than the home DC.
type dcAuth struct {
	mu       sync.Mutex
	exported map[string]exportedAuth // auth bytes → what they authorize, used once
	keys     map[int]map[[8]byte]string
}

type exportedAuth struct {
	account string
	userID  int64
	dc      int
}

func newDCAuth() *dcAuth {
	return &dcAuth{exported: map[string]exportedAuth{}, keys: map[int]map[[8]byte]string{}}
}

// accountOn returns the account auth key id is authorized as on DC dc (not
// the home DC).
func (d *dcAuth) accountOn(dc int, key [8]byte) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	acc, ok := d.keys[dc][key]
	return acc, ok
}

// dcOptions are the DC options of help.getConfig for the DCs at addrs.
func dcOptions(addrs map[int]*net.TCPAddr) []tg.DCOption {
	out := make([]tg.DCOption, 0, len(addrs))
	for _, id := range dcIDs {
		if a, ok := addrs[id]; ok {
			out = append(out, tg.DCOption{ID: id, IPAddress: a.IP.String(), Port: a.Port, Static: true})
		}
	}
	return out
}

func (s *Sim) onExportAuthorization(srv *tgtest.Server, req *tgtest.Request, r *tg.AuthExportAuthorizationRequest) error {
	name, ok := s.authorize(req)
	if !ok {
		return errUnregistered
	}
	if r.DCID == req.DC || !slices.Contains(dcIDs, r.DCID) {
		return errDCInvalid
	}
	s.mu.Lock()
	userID := s.w.byName[name].UserID
	s.mu.Unlock()
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	s.dcs.mu.Lock()
	s.dcs.exported[string(b)] = exportedAuth{account: name, userID: userID, dc: r.DCID}
	s.dcs.mu.Unlock()
	return srv.SendResult(req, &tg.AuthExportedAuthorization{ID: userID, Bytes: b})
}

func (s *Sim) onImportAuthorization(srv *tgtest.Server, req *tgtest.Request, r *tg.AuthImportAuthorizationRequest) error {
	s.dcs.mu.Lock()
	e, ok := s.dcs.exported[string(r.Bytes)]
	if ok && e.dc == req.DC && e.userID == r.ID {
		delete(s.dcs.exported, string(r.Bytes))
	} else {
		ok = false
	}
	home := homeDC(s.accountNamed(e.account))
	if ok && req.DC != home {
		if s.dcs.keys[req.DC] == nil {
			s.dcs.keys[req.DC] = map[[8]byte]string{}
		}
		s.dcs.keys[req.DC][req.Session.AuthKey.ID] = e.account
	}
	s.dcs.mu.Unlock()
	if !ok {
		return errAuthBytesInvalid
	}
	if req.DC == home {
		return srv.SendResult(req, s.bindAuthKey(req, e.account))
	}
	s.mu.Lock()
	acc := s.w.byName[e.account]
	self := s.w.tgUser(acc, acc.UserID)
	s.mu.Unlock()
	s.log.Debug("authorization imported", "account", e.account, "dc", req.DC)
	return srv.SendResult(req, &tg.AuthAuthorization{User: self})
}

// checkFileDC answers FILE_MIGRATE_X when a file on DC want (0: the home
// DC) is asked for on DC got.
func checkFileDC(want, got int) error {
	if want == 0 {
		want = dcID
	}
	if got != want {
		return fileMigrate(want)
	}
	return nil
}

// validFileDC checks the DC of an injected file.
func validFileDC(dc int) error {
	if dc != 0 && !slices.Contains(dcIDs, dc) {
		return fmt.Errorf("%w: file dc %d: want one of %v", ErrInvalid, dc, dcIDs)
	}
	return nil
}

// homeDC is the home DC of account a (nil: the first DC).
func homeDC(a *Account) int {
	if a == nil || a.DC == 0 {
		return dcID
	}
	return a.DC
}

// server returns the server of DC dc, nil before Run.
func (s *Sim) server(dc int) *tgtest.Server {
	s.net.Lock()
	defer s.net.Unlock()
	if dc == 0 {
		dc = dcID
	}
	return s.servers[dc]
}

// serverOfKey returns the server of the DC auth key id is logged in on.
func (s *Sim) serverOfKey(key [8]byte) *tgtest.Server {
	s.net.Lock()
	defer s.net.Unlock()
	if dc, ok := s.keyDC[key]; ok {
		return s.servers[dc]
	}
	return s.srv
}

// migrateTokenLocked returns the token of auth.loginTokenMigrateTo for the
// token accepted for auth key key. s.users.mu must be held.
func (u *userAuth) migrateTokenLocked(key [8]byte) []byte {
	for tok, k := range u.migrating {
		if k == string(key[:]) {
			return []byte(tok)
		}
	}
	tok := randomBytes(32)
	u.migrating[string(tok)] = string(key[:])
	return tok
}

// onImportLoginToken logs in, on the account's home DC, the key that
// imports the token of an auth.loginTokenMigrateTo.
func (s *Sim) onImportLoginToken(srv *tgtest.Server, req *tgtest.Request, r *tg.AuthImportLoginTokenRequest) error {
	s.users.mu.Lock()
	k, ok := s.users.migrating[string(r.Token)]
	var key [8]byte
	copy(key[:], k)
	name, accepted := s.users.accepted[key]
	if !ok || !accepted {
		s.users.mu.Unlock()
		return errLoginTokenBad
	}
	a := s.accountNamed(name)
	if home := homeDC(a); home != req.DC {
		s.users.mu.Unlock()
		return tgerr.New(303, "USER_MIGRATE_"+strconv.Itoa(home))
	}
	delete(s.users.migrating, string(r.Token))
	delete(s.users.accepted, key)
	if a.Password != "" {
		s.users.pending2F[req.Session.AuthKey.ID] = name
		s.users.mu.Unlock()
		return errPasswordNeeded
	}
	s.users.mu.Unlock()
	return srv.SendResult(req, &tg.AuthLoginTokenSuccess{Authorization: s.bindAuthKey(req, name)})
}
