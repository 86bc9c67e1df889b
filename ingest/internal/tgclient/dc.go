package tgclient

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"

	"github.com/gotd/td/session"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/dcs"
	"github.com/gotd/td/tg"
)

// SetDC points opts at a non-production DC (a test server, the simulator)
// when addr (host:port) is set; dc 0 means DC 2.
func SetDC(opts *telegram.Options, dc int, addr string, keys []telegram.PublicKey) error {
	if addr == "" {
		return nil
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("ingest: dc address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("ingest: dc address port %q: %w", portStr, err)
	}
	if dc == 0 {
		dc = 2
	}
	opts.DC = dc
	opts.DCList = dcs.List{Options: []tg.DCOption{{ID: dc, IPAddress: host, Port: port, Static: true}}}
	opts.PublicKeys = keys
	return nil
}

// AddStoredDCs adds to a DC list set by SetDC the DCs of the stored
// session's configuration that the list lacks. gotd restores the session's
// DC but dials it from Options.DCList: an account whose home DC is not the
// configured one (logged in through PHONE_MIGRATE_X, USER_MIGRATE_X or a
// QR token's migrateTo) would otherwise find no address for it. The
// production list (no SetDC) has every DC already. A session that cannot
// be read adds nothing: reading it again reports why.
func AddStoredDCs(ctx context.Context, opts *telegram.Options, storage telegram.SessionStorage) {
	if len(opts.DCList.Options) == 0 || storage == nil {
		return
	}
	data, err := (&session.Loader{Storage: storage}).Load(ctx)
	if err != nil {
		return
	}
	for _, o := range data.Config.DCOptions {
		if !slices.ContainsFunc(opts.DCList.Options, func(have tg.DCOption) bool { return have.ID == o.ID }) {
			opts.DCList.Options = append(opts.DCList.Options, o)
		}
	}
}
