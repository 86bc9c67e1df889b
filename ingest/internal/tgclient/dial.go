package tgclient

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/gotd/td/telegram/dcs"
)

// slowDial is how long a connection attempt to Telegram may go unanswered
// before ReportingDial says so.
const slowDial = 3 * time.Second

// ReportingDial dials Telegram and says so at warn level, with the
// address, when it cannot: at once when an attempt fails (once per distinct
// error until a connection succeeds, as gotd retries quickly), and when an
// attempt has gone unanswered for slowDial (a firewall dropping packets).
func ReportingDial(log *slog.Logger) dcs.DialFunc {
	var (
		d    net.Dialer
		mu   sync.Mutex
		last string // error of the last failed attempt; "" after a success
	)
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		slow := time.AfterFunc(slowDial, func() {
			log.Warn("no answer from Telegram yet; still trying", "address", addr, "waited", slowDial)
		})
		c, err := d.DialContext(ctx, network, addr)
		slow.Stop()
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if ctx.Err() == nil && err.Error() != last {
				log.Warn("cannot reach Telegram; retrying", "address", addr, "error", err)
			}
			last = err.Error()
			return nil, err
		}
		if last != "" {
			log.Info("Telegram reachable again", "address", addr)
			last = ""
		}
		return c, nil
	}
}
