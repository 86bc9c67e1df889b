package tgclient

import (
	"fmt"
	"net"
	"strconv"

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
