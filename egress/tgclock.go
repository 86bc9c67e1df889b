package egress

import (
	"sync"
	"time"

	"github.com/gotd/td/tg"
)

// tgClock follows Telegram's clock from the dates of its answers, so that
// the updates egress builds itself (deletes and reads, which Telegram
// answers with pts only) carry Telegram's time, not the local clock's: that
// date becomes ingest's stored date, sent back in getDifference.
type tgClock struct {
	now func() time.Time // the local (injected) clock

	mu     sync.Mutex
	offset time.Duration // Telegram's time minus the local time
	known  bool
}

// observe records a date Telegram gave at about the local time now.
func (c *tgClock) observe(date int) {
	if date <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = time.Unix(int64(date), 0).Sub(c.now())
	c.known = true
}

// date returns Telegram's time now in unix seconds; the local clock's
// until Telegram gave a date.
func (c *tgClock) date() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now()
	if c.known {
		t = t.Add(c.offset)
	}
	return int(t.Unix())
}

// updatesDate returns the date of an answer of Telegram, 0 for none.
func updatesDate(u tg.UpdatesClass) int {
	switch u := u.(type) {
	case *tg.Updates:
		return u.Date
	case *tg.UpdatesCombined:
		return u.Date
	case *tg.UpdateShort:
		return u.Date
	case *tg.UpdateShortSentMessage:
		return u.Date
	case *tg.UpdateShortMessage:
		return u.Date
	case *tg.UpdateShortChatMessage:
		return u.Date
	}
	return 0
}
