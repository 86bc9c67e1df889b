package sim

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Sentinel errors callers can branch on with errors.Is.
var (
	// ErrNotFound reports an unknown account, user, chat, channel or message.
	ErrNotFound = errors.New("sim: not found")
	// ErrInvalid reports an argument the simulated Telegram would refuse.
	ErrInvalid = errors.New("sim: invalid argument")
	// ErrClosed reports use of a simulator whose Run has returned or that was closed.
	ErrClosed = errors.New("sim: closed")
	// ErrRunning reports a second call of Run.
	ErrRunning = errors.New("sim: already running")
)

// Account is a Telegram account the simulator serves. Bots log in with
// BotToken (auth.importBotAuthorization); user accounts, with Phone instead,
// log in with a code or a QR token (see auth_user.go).
type Account struct {
	Name      string // short name used by the ledger and the fault controls
	BotToken  string
	UserID    int64
	FirstName string
	Username  string
	// Phone makes the account a user account (digits, an optional leading
	// "+"); it excludes BotToken.
	Phone string
	// Password is the user's 2FA password, checked with SRP; "" for none.
	Password string
	// LockedOut makes auth.sendCode for Phone answer FLOOD_WAIT.
	LockedOut bool
	// DC is the account's home DC: 0 or 2 the simulator's first DC, 4
	// (MediaDC) its second. Logging in elsewhere answers PHONE_MIGRATE_X
	// (auth.sendCode), USER_MIGRATE_X (auth.importBotAuthorization) or
	// auth.loginTokenMigrateTo (QR), as Telegram does (dcs.go).
	DC int
}

// Config configures a simulator. The zero value is usable.
type Config struct {
	// Dir persists world, ledger, RSA key and listen port; "" keeps
	// everything in memory. A restarted simulator with the same Dir (and the
	// same Accounts) continues the same world.
	Dir string
	// Listen is the TCP address, default "127.0.0.1:0". With Dir, a port 0
	// reuses the previously persisted port when it is free.
	Listen string
	// Accounts default to one bot, see DefaultAccount.
	Accounts []Account
	// Logger receives the simulator's logs; discarded by default.
	Logger *slog.Logger
	// SliceLimit is the largest number of pts units in one
	// updates.differenceSlice, default 100.
	SliceLimit int
	// TooLongAfter is the common-box pts gap beyond which getDifference
	// answers updates.differenceTooLong, default 10000.
	TooLongAfter int
	// ChannelTooLongAfter is the channel pts gap beyond which
	// getChannelDifference answers updates.channelDifferenceTooLong, default 10000.
	ChannelTooLongAfter int
	// Now is the clock of the simulated world, default time.Now.
	Now func() time.Time
	// LoginCodeTTL is how long a code sent by auth.sendCode is valid,
	// default 5 minutes. LoginTokenTTL is the life of a QR login token,
	// default 30 seconds.
	LoginCodeTTL, LoginTokenTTL time.Duration
	// SnapshotEvery is the number of journaled ops after which the world
	// is snapshotted (with Dir), default 5000: a restart replays at most
	// that many.
	SnapshotEvery int
	// LedgerWindow, when above 0, bounds what the world keeps for a long
	// run: each account's ledger keeps about its latest LedgerWindow
	// changes (Ledger returns those; LedgerLen and LedgerSince still count
	// from the first change), and pts updates no difference can return
	// any more (beyond TooLongAfter, ChannelTooLongAfter) are dropped; each
	// account's common box and each channel keep their newest LedgerWindow
	// messages, or MessageWindow's (and each chat's newest: an older one is
	// gone as if deleted), and the other records traffic adds their newest
	// LedgerWindow (retain.go).
	// Default 0: everything is kept, as end-to-end tests reading the whole
	// ledger need. `connector simulate` sets it (--ledger-window).
	LedgerWindow int
	// MessageWindow, when above 0, bounds the messages instead of
	// LedgerWindow: each account's common box and each channel keep their
	// newest MessageWindow messages (and each chat's newest), whatever
	// LedgerWindow is (retain.go). A kept message costs several times a
	// ledger entry: a MessageWindow below LedgerWindow lowers the memory
	// of a long run most. At TooLongAfter and ChannelTooLongAfter or
	// above, every message a difference can still return is kept. Default 0: LedgerWindow's bound (none without it).
	// `connector simulate` sets it (--message-window).
	MessageWindow int
	// OnLoginCode, when set, is called with every code auth.sendCode sends
	// to the phone of a user account: what that phone's Telegram app
	// would show (`connector simulate` prints it).
	OnLoginCode func(LoginCode)
}

// messageWindow is the bound of each box's messages, 0 for none.
func (c *Config) messageWindow() int {
	if c.MessageWindow > 0 {
		return c.MessageWindow
	}
	return max(c.LedgerWindow, 0)
}

// DefaultAccount is the account served when Config.Accounts is empty.
func DefaultAccount() Account {
	return Account{
		Name:      "main",
		BotToken:  "1000:simulated-token",
		UserID:    1000,
		FirstName: "tgnats sim bot",
		Username:  "tgnats_sim_bot",
	}
}

func (c *Config) setDefaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:0"
	}
	if len(c.Accounts) == 0 {
		c.Accounts = []Account{DefaultAccount()}
	}
	for i := range c.Accounts {
		if c.Accounts[i].FirstName == "" {
			c.Accounts[i].FirstName = c.Accounts[i].Name
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.SliceLimit <= 0 {
		c.SliceLimit = 100
	}
	if c.TooLongAfter <= 0 {
		c.TooLongAfter = 10000
	}
	if c.ChannelTooLongAfter <= 0 {
		c.ChannelTooLongAfter = 10000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.LoginCodeTTL <= 0 {
		c.LoginCodeTTL = 5 * time.Minute
	}
	if c.SnapshotEvery <= 0 {
		c.SnapshotEvery = 5000
	}
	if c.LoginTokenTTL <= 0 {
		c.LoginTokenTTL = 30 * time.Second
	}
}

// Validate reports whether the configuration can be served.
func (c *Config) Validate() error {
	names := map[string]bool{}
	tokens := map[string]bool{}
	ids := map[int64]bool{}
	phones := map[string]bool{}
	for _, a := range c.Accounts {
		switch {
		case a.Name == "":
			return fmt.Errorf("%w: account without name", ErrInvalid)
		case a.BotToken == "" && a.Phone == "":
			return fmt.Errorf("%w: account %q without bot token or phone", ErrInvalid, a.Name)
		case validFileDC(a.DC) != nil:
			return fmt.Errorf("%w: account %q: home DC %d: want one of %v", ErrInvalid, a.Name, a.DC, dcIDs)
		case a.BotToken != "" && a.Phone != "":
			return fmt.Errorf("%w: account %q has both a bot token and a phone", ErrInvalid, a.Name)
		case a.Phone != "" && phones[normalizePhone(a.Phone)]:
			return fmt.Errorf("%w: duplicate phone of account %q", ErrInvalid, a.Name)
		case a.UserID <= 0:
			return fmt.Errorf("%w: account %q without user id", ErrInvalid, a.Name)
		case names[a.Name]:
			return fmt.Errorf("%w: duplicate account name %q", ErrInvalid, a.Name)
		case a.BotToken != "" && tokens[a.BotToken]:
			return fmt.Errorf("%w: duplicate bot token of account %q", ErrInvalid, a.Name)
		case ids[a.UserID]:
			return fmt.Errorf("%w: duplicate user id %d", ErrInvalid, a.UserID)
		}
		names[a.Name], tokens[a.BotToken], ids[a.UserID] = true, true, true
		if a.Phone != "" {
			phones[normalizePhone(a.Phone)] = true
		}
	}
	return nil
}
