package sim

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
	"golang.org/x/crypto/pbkdf2"
)

// User login, as Telegram serves it (core.telegram.org/api/auth,
// /api/srp, /api/qr-login):
//
//   - auth.sendCode delivers a 5-digit code "to the app": LoginCode reads
//     it. A LockedOut account gets FLOOD_WAIT_86400. Codes of unknown phones
//     are sent too; auth.signIn then answers PHONE_NUMBER_UNOCCUPIED.
//   - auth.signIn checks the code (PHONE_CODE_INVALID, PHONE_CODE_EXPIRED
//     after Config.LoginCodeTTL or ExpireLoginCode) and, for an account with
//     a Password, answers SESSION_PASSWORD_NEEDED.
//   - account.getPassword and auth.checkPassword run SRP-2048 with the
//     server half written here; a wrong password is PASSWORD_HASH_INVALID.
//   - auth.exportLoginToken issues QR tokens living Config.LoginTokenTTL;
//     AcceptLoginToken (or auth.acceptLoginToken from a logged-in session)
//     plays the other device, pushes updateLoginToken to the exporting
//     session, and its next auth.exportLoginToken answers
//     auth.loginTokenSuccess (or SESSION_PASSWORD_NEEDED with a Password).
//   - auth.logOut revokes the calling auth key.
//
// Limits: one DC, so auth.importLoginToken (for a token accepted on another
// DC) answers AUTH_TOKEN_INVALID; sign-up (auth.signUp) is not served.

// srpG and srpP are the SRP group Telegram uses (its published 2048-bit safe
// prime, generator 3).
var (
	srpG = big.NewInt(3)
	srpP = mustHex("C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F" +
		"48198A0AA7C14058229493D22530F4DBFA336F6E0AC925139543AED44CCE7C37" +
		"20FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F64" +
		"2477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4" +
		"A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754" +
		"FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4" +
		"E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F" +
		"0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B")
)

// TelegramPrime returns Telegram's published 2048-bit safe prime: the SRP
// group's p, and the dh_prime of auth key exchanges (Telegram's, and so
// gotd's tgtest server's and the simulator's).
func TelegramPrime() *big.Int { return new(big.Int).Set(srpP) }

func mustHex(s string) *big.Int {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err) // a constant
	}
	return new(big.Int).SetBytes(b)
}

// Login errors of the simulated Telegram.
var (
	errCodeInvalid      = tgerr.New(400, "PHONE_CODE_INVALID")
	errCodeExpired      = tgerr.New(400, "PHONE_CODE_EXPIRED")
	errCodeHashInvalid  = tgerr.New(400, "PHONE_CODE_HASH_EMPTY")
	errPhoneUnoccupied  = tgerr.New(400, "PHONE_NUMBER_UNOCCUPIED")
	errPhoneInvalid     = tgerr.New(400, "PHONE_NUMBER_INVALID")
	errPasswordNeeded   = tgerr.New(401, "SESSION_PASSWORD_NEEDED")
	errPasswordInvalid  = tgerr.New(400, "PASSWORD_HASH_INVALID")
	errSRPIDInvalid     = tgerr.New(400, "SRP_ID_INVALID")
	errTokenExpired     = tgerr.New(400, "AUTH_TOKEN_EXPIRED")
	errLoginTokenBad    = tgerr.New(400, "AUTH_TOKEN_INVALID")
	errLoginTokenUnused = tgerr.New(400, "AUTH_TOKEN_ALREADY_ACCEPTED")
)

// userAuth is the login state of user accounts. It has its own lock; it
// never calls into the world or the network with it held.
type userAuth struct {
	mu        sync.Mutex
	codes     map[string]*sentCode    // normalized phone → latest code
	pending2F map[[8]byte]string      // auth key → account awaiting its password
	srp       map[[8]byte]*srpSession // auth key → SRP parameters last given
	tokens    map[string]*loginToken  // token bytes → token
	verifiers map[string]*big.Int     // account → v = g^x mod p
	salts     map[string][2][]byte    // account → salt1, salt2
	byKey     map[[8]byte]*loginToken // auth key → its newest token
	accepted  map[[8]byte]string      // auth key → account that accepted its token
	migrating map[string]string       // token of auth.loginTokenMigrateTo → auth key's accepted entry (dcs.go)
}

type sentCode struct {
	code, hash string
	expires    time.Time
}

type srpSession struct {
	id  int64
	b   *big.Int
	gb  [256]byte
	acc string
}

type loginToken struct {
	token   []byte
	authKey [8]byte
	session tgtest.Session
	dc      int // where it was exported: updateLoginToken goes there
	expires time.Time
}

func newUserAuth() *userAuth {
	return &userAuth{
		codes:     map[string]*sentCode{},
		pending2F: map[[8]byte]string{},
		srp:       map[[8]byte]*srpSession{},
		tokens:    map[string]*loginToken{},
		verifiers: map[string]*big.Int{},
		salts:     map[string][2][]byte{},
		byKey:     map[[8]byte]*loginToken{},
		accepted:  map[[8]byte]string{},
		migrating: map[string]string{},
	}
}

// normalizePhone keeps the digits of a phone number.
func normalizePhone(p string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, p)
}

// userAuthMethods may be called before authorization.
var userAuthMethods = []uint32{
	tg.AuthSendCodeRequestTypeID,
	tg.AuthSignInRequestTypeID,
	tg.AccountGetPasswordRequestTypeID,
	tg.AuthCheckPasswordRequestTypeID,
	tg.AuthExportLoginTokenRequestTypeID,
	tg.AuthImportLoginTokenRequestTypeID,
}

// userByPhone returns the user account with phone, or nil.
func (s *Sim) userByPhone(phone string) *Account {
	n := normalizePhone(phone)
	for i := range s.cfg.Accounts {
		if a := &s.cfg.Accounts[i]; a.Phone != "" && normalizePhone(a.Phone) == n {
			return a
		}
	}
	return nil
}

func (s *Sim) accountNamed(name string) *Account {
	for i := range s.cfg.Accounts {
		if s.cfg.Accounts[i].Name == name {
			return &s.cfg.Accounts[i]
		}
	}
	return nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return b
}

func (s *Sim) onSendCode(srv *tgtest.Server, req *tgtest.Request, r *tg.AuthSendCodeRequest) error {
	phone := normalizePhone(r.PhoneNumber)
	if len(phone) < 5 {
		return errPhoneInvalid
	}
	if a := s.userByPhone(phone); a != nil && a.LockedOut {
		s.metrics.fault("flood_wait")
		return tgerr.New(420, "FLOOD_WAIT_86400")
	} else if a != nil && homeDC(a) != req.DC {
		return tgerr.New(303, "PHONE_MIGRATE_"+strconv.Itoa(homeDC(a)))
	}
	n, _ := rand.Int(rand.Reader, big.NewInt(100000))
	c := &sentCode{
		code:    fmt.Sprintf("%05d", n.Int64()),
		hash:    hex.EncodeToString(randomBytes(8)),
		expires: s.cfg.Now().Add(s.cfg.LoginCodeTTL),
	}
	s.users.mu.Lock()
	s.users.codes[phone] = c
	s.users.mu.Unlock()
	s.log.Debug("login code sent", "phone_digits", len(phone))
	s.notifyLoginCode(phone, c.code)
	return srv.SendResult(req, &tg.AuthSentCode{
		Type:          &tg.AuthSentCodeTypeApp{Length: len(c.code)},
		PhoneCodeHash: c.hash,
		Timeout:       int(s.cfg.LoginCodeTTL.Seconds()),
	})
}

// LoginCode returns the code last sent to phone by auth.sendCode, as the
// Telegram app of that phone would show it.
func (s *Sim) LoginCode(phone string) (string, bool) {
	s.users.mu.Lock()
	defer s.users.mu.Unlock()
	c, ok := s.users.codes[normalizePhone(phone)]
	if !ok {
		return "", false
	}
	return c.code, true
}

// ExpireLoginCode makes the code last sent to phone expired.
func (s *Sim) ExpireLoginCode(phone string) {
	s.users.mu.Lock()
	defer s.users.mu.Unlock()
	if c, ok := s.users.codes[normalizePhone(phone)]; ok {
		c.expires = time.Time{}
	}
}

func (s *Sim) onSignIn(srv *tgtest.Server, req *tgtest.Request, r *tg.AuthSignInRequest) error {
	phone := normalizePhone(r.PhoneNumber)
	s.users.mu.Lock()
	c, ok := s.users.codes[phone]
	switch {
	case !ok || c.hash != r.PhoneCodeHash:
		s.users.mu.Unlock()
		return errCodeHashInvalid
	case !s.cfg.Now().Before(c.expires):
		s.users.mu.Unlock()
		return errCodeExpired
	case subtle.ConstantTimeCompare([]byte(c.code), []byte(r.PhoneCode)) != 1:
		s.users.mu.Unlock()
		return errCodeInvalid
	}
	delete(s.users.codes, phone)
	a := s.userByPhone(phone)
	if a != nil && a.Password != "" {
		s.users.pending2F[req.Session.AuthKey.ID] = a.Name
	}
	s.users.mu.Unlock()
	switch {
	case a == nil:
		return errPhoneUnoccupied
	case a.Password != "":
		return errPasswordNeeded
	}
	return s.completeLogin(srv, req, a.Name)
}

// completeLogin binds req's auth key to account and answers the authorization.
func (s *Sim) completeLogin(srv *tgtest.Server, req *tgtest.Request, account string) error {
	return srv.SendResult(req, s.bindAuthKey(req, account))
}

// bindAuthKey makes sess's auth key logged in as account (a bot or a user)
// and returns the authorization.
func (s *Sim) bindAuthKey(req *tgtest.Request, account string) *tg.AuthAuthorization {
	sess := req.Session
	s.mu.Lock()
	acc := s.w.byName[account]
	self := s.w.tgUser(acc, acc.UserID)
	s.mu.Unlock()
	s.net.Lock()
	s.authKeys[sess.AuthKey.ID] = account
	if req.DC != 0 && req.DC != dcID {
		s.keyDC[sess.AuthKey.ID] = req.DC
	} else {
		delete(s.keyDC, sess.AuthKey.ID)
	}
	s.rememberKeyLocked(sess)
	for _, m := range s.sessions {
		delete(m, sess.AuthKey.ID) // the key may have been another account's
	}
	if s.sessions[account] == nil {
		s.sessions[account] = map[[8]byte]tgtest.Session{}
	}
	s.sessions[account][sess.AuthKey.ID] = sess
	s.liveLocked()
	s.net.Unlock()
	s.users.mu.Lock()
	delete(s.users.pending2F, sess.AuthKey.ID)
	delete(s.users.srp, sess.AuthKey.ID)
	delete(s.users.accepted, sess.AuthKey.ID)
	s.users.mu.Unlock()
	s.log.Debug("logged in", "account", account)
	return &tg.AuthAuthorization{User: self}
}

// verifier returns the SRP salts and verifier of account's password,
// computing them once (PBKDF2 with 100000 iterations is slow on purpose).
// s.users.mu must be held.
func (s *Sim) verifierLocked(a *Account) (salt1, salt2 []byte, v *big.Int) {
	if v, ok := s.users.verifiers[a.Name]; ok {
		salts := s.users.salts[a.Name]
		return salts[0], salts[1], v
	}
	salt1, salt2 = randomBytes(40), randomBytes(16)
	x := new(big.Int).SetBytes(passwordHash2([]byte(a.Password), salt1, salt2))
	v = new(big.Int).Exp(srpG, x, srpP)
	s.users.verifiers[a.Name] = v
	s.users.salts[a.Name] = [2][]byte{salt1, salt2}
	return salt1, salt2, v
}

// passwordHash2 is PH2 of core.telegram.org/api/srp:
// SH(pbkdf2(sha512, PH1(password, salt1, salt2), salt1, 100000), salt2).
func passwordHash2(password, salt1, salt2 []byte) []byte {
	sh := func(data, salt []byte) []byte { return sum256(salt, data, salt) }
	ph1 := sh(sh(password, salt1), salt2)
	return sh(pbkdf2.Key(ph1, salt1, 100000, 64, sha512.New), salt2)
}

func sum256(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

func pad256(i *big.Int) [256]byte {
	var b [256]byte
	i.FillBytes(b[:]) // values are reduced mod p, so they fit
	return b
}

// passwordAccount is the account whose password sess may check: one
// waiting for it after auth.signIn or a QR login, or the logged-in one.
func (s *Sim) passwordAccount(sess tgtest.Session) *Account {
	s.users.mu.Lock()
	name, ok := s.users.pending2F[sess.AuthKey.ID]
	s.users.mu.Unlock()
	if !ok {
		s.net.Lock()
		name, ok = s.authKeys[sess.AuthKey.ID]
		s.net.Unlock()
	}
	if !ok {
		return nil
	}
	return s.accountNamed(name)
}

func (s *Sim) onGetPassword(srv *tgtest.Server, req *tgtest.Request, r *tg.AccountGetPasswordRequest) error {
	a := s.passwordAccount(req.Session)
	if a == nil {
		return errUnregistered
	}
	res := &tg.AccountPassword{
		NewAlgo:       &tg.PasswordKdfAlgoUnknown{},
		NewSecureAlgo: &tg.SecurePasswordKdfAlgoUnknown{},
		SecureRandom:  randomBytes(32),
	}
	if a.Password == "" {
		return srv.SendResult(req, res)
	}
	s.users.mu.Lock()
	salt1, salt2, v := s.verifierLocked(a)
	sess := srpChallenge(a.Name, v)
	s.users.srp[req.Session.AuthKey.ID] = sess
	s.users.mu.Unlock()

	pPad := pad256(srpP)
	res.SetHasPassword(true)
	res.CurrentAlgo = &tg.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow{
		Salt1: salt1, Salt2: salt2, G: int(srpG.Int64()), P: pPad[:],
	}
	res.SRPB = sess.gb[:]
	res.SRPID = sess.id
	return srv.SendResult(req, res)
}

// srpChallenge draws the server's secret b and B = k*v + g^b mod p, with
// k = H(p | pad(g)), under a fresh srp_id.
func srpChallenge(account string, v *big.Int) *srpSession {
	b := new(big.Int).SetBytes(randomBytes(256))
	gPad, pPad := pad256(srpG), pad256(srpP)
	k := new(big.Int).SetBytes(sum256(pPad[:], gPad[:]))
	gb := new(big.Int).Exp(srpG, b, srpP)
	gb.Add(gb, k.Mul(k, v)).Mod(gb, srpP)
	n, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	return &srpSession{id: n.Int64() + 1, b: b, gb: pad256(gb), acc: account}
}

func (s *Sim) onCheckPassword(srv *tgtest.Server, req *tgtest.Request, r *tg.AuthCheckPasswordRequest) error {
	in, ok := r.Password.(*tg.InputCheckPasswordSRP)
	if !ok {
		return errPasswordInvalid
	}
	s.users.mu.Lock()
	sess, ok := s.users.srp[req.Session.AuthKey.ID]
	if !ok || sess.id != in.SRPID {
		s.users.mu.Unlock()
		return errSRPIDInvalid
	}
	delete(s.users.srp, req.Session.AuthKey.ID) // one attempt per srp_id
	a := s.accountNamed(sess.acc)
	salt1, salt2, v := s.verifierLocked(a)
	s.users.mu.Unlock()
	if !srpVerify(in.A, in.M1, sess, salt1, salt2, v) {
		return errPasswordInvalid
	}
	return s.completeLogin(srv, req, a.Name)
}

// srpVerify is the server half of Telegram's SRP-2048 check: with
// u = H(A | B), S = (A * v^u)^b mod p and K = H(S), the client's M1 must be
// H(H(p) xor H(g) | H(salt1) | H(salt2) | A | B | K).
func srpVerify(aBytes, m1 []byte, sess *srpSession, salt1, salt2 []byte, v *big.Int) bool {
	if len(aBytes) == 0 || len(aBytes) > 256 {
		return false
	}
	A := new(big.Int).SetBytes(aBytes)
	if A.Sign() <= 0 || A.Cmp(srpP) >= 0 {
		return false
	}
	aPad := pad256(A)
	u := new(big.Int).SetBytes(sum256(aPad[:], sess.gb[:]))
	if u.Sign() == 0 {
		return false
	}
	S := new(big.Int).Exp(v, u, srpP)
	S.Mul(S, A).Mod(S, srpP)
	S.Exp(S, sess.b, srpP)
	sPad := pad256(S)
	K := sha256.Sum256(sPad[:])
	gPad, pPad := pad256(srpG), pad256(srpP)
	hp, hg := sha256.Sum256(pPad[:]), sha256.Sum256(gPad[:])
	var x [sha256.Size]byte
	for i := range x {
		x[i] = hp[i] ^ hg[i]
	}
	want := sum256(x[:], sum256(salt1), sum256(salt2), aPad[:], sess.gb[:], K[:])
	return subtle.ConstantTimeCompare(want, m1) == 1
}

func (s *Sim) onExportLoginToken(srv *tgtest.Server, req *tgtest.Request, r *tg.AuthExportLoginTokenRequest) error {
	key := req.Session.AuthKey.ID
	s.users.mu.Lock()
	if name, ok := s.users.accepted[key]; ok {
		a := s.accountNamed(name)
		if home := homeDC(a); home != req.DC {
			// The account lives on another DC: the client goes there and
			// imports this token (onImportLoginToken). Asked again, the same.
			tok := s.users.migrateTokenLocked(key)
			s.users.mu.Unlock()
			return srv.SendResult(req, &tg.AuthLoginTokenMigrateTo{DCID: home, Token: tok})
		}
		delete(s.users.accepted, key)
		if a.Password != "" {
			s.users.pending2F[key] = name
			s.users.mu.Unlock()
			return errPasswordNeeded
		}
		s.users.mu.Unlock()
		return srv.SendResult(req, &tg.AuthLoginTokenSuccess{Authorization: s.bindAuthKey(req, name)})
	}
	if old, ok := s.users.byKey[key]; ok {
		delete(s.users.tokens, string(old.token))
	}
	t := &loginToken{token: randomBytes(32), authKey: key, session: req.Session, dc: req.DC, expires: s.cfg.Now().Add(s.cfg.LoginTokenTTL)}
	s.users.tokens[string(t.token)] = t
	s.users.byKey[key] = t
	s.users.mu.Unlock()
	return srv.SendResult(req, &tg.AuthLoginToken{Expires: int(t.expires.Unix()), Token: t.token})
}

// LoginTokens returns the QR login tokens waiting to be accepted, newest
// last (what a QR code on a screen holds: tg://login?token=base64url).
func (s *Sim) LoginTokens() [][]byte {
	s.users.mu.Lock()
	defer s.users.mu.Unlock()
	var out []*loginToken
	for _, t := range s.users.tokens {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *loginToken) int { return a.expires.Compare(b.expires) })
	res := make([][]byte, len(out))
	for i, t := range out {
		res[i] = append([]byte(nil), t.token...)
	}
	return res
}

// AcceptLoginToken plays account's other, logged-in device scanning a QR
// code: the token's session gets updateLoginToken and its next
// auth.exportLoginToken logs it in as account. An expired token is
// AUTH_TOKEN_EXPIRED, an unknown one AUTH_TOKEN_INVALID.
func (s *Sim) AcceptLoginToken(ctx context.Context, account string, token []byte) error {
	if s.accountNamed(account) == nil {
		return fmt.Errorf("%w: account %q", ErrNotFound, account)
	}
	return s.acceptToken(ctx, account, token)
}

func (s *Sim) acceptToken(ctx context.Context, account string, token []byte) error {
	s.users.mu.Lock()
	t, ok := s.users.tokens[string(token)]
	if !ok {
		s.users.mu.Unlock()
		return errLoginTokenBad
	}
	delete(s.users.tokens, string(token))
	delete(s.users.byKey, t.authKey)
	if !s.cfg.Now().Before(t.expires) {
		s.users.mu.Unlock()
		return errTokenExpired
	}
	if _, ok := s.users.accepted[t.authKey]; ok {
		s.users.mu.Unlock()
		return errLoginTokenUnused
	}
	s.users.accepted[t.authKey] = account
	s.users.mu.Unlock()
	srv := s.server(t.dc)
	if srv == nil {
		return ErrClosed
	}
	u := &tg.UpdateShort{Update: &tg.UpdateLoginToken{}, Date: int(s.cfg.Now().Unix())}
	if err := srv.Send(ctx, t.session, tgtest.MessageFromServer, u); err != nil {
		return fmt.Errorf("push updateLoginToken: %w", err)
	}
	return nil
}

func (s *Sim) onAcceptLoginToken(srv *tgtest.Server, req *tgtest.Request, r *tg.AuthAcceptLoginTokenRequest) error {
	name, ok := s.authorize(req)
	if !ok {
		return errUnregistered
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.acceptToken(ctx, name, r.Token); err != nil {
		return err
	}
	now := int(s.cfg.Now().Unix())
	return srv.SendResult(req, &tg.Authorization{Hash: 1, DeviceModel: "tgnats", Platform: "sim",
		SystemVersion: "sim", AppName: "tgnats", AppVersion: "sim", DateCreated: now, DateActive: now,
		IP: "127.0.0.1", Country: "NL", Region: "sim"})
}

func (s *Sim) onLogOut(srv *tgtest.Server, req *tgtest.Request, r *tg.AuthLogOutRequest) error {
	key := req.Session.AuthKey.ID
	s.net.Lock()
	name, ok := s.authKeys[key]
	if ok {
		delete(s.authKeys, key)
		delete(s.keys, key)
		delete(s.sessions[name], key)
		s.liveLocked()
		s.saveSessionsLocked()
	}
	s.net.Unlock()
	if !ok {
		return errUnregistered
	}
	s.log.Debug("logged out", "account", name)
	return srv.SendResult(req, &tg.AuthLoggedOut{})
}

// LoggedIn reports whether some auth key is logged in as account.
func (s *Sim) LoggedIn(account string) bool {
	s.net.Lock()
	defer s.net.Unlock()
	for _, name := range s.authKeys {
		if name == account {
			return true
		}
	}
	return false
}
