package sim

import (
	"slices"
	"sort"
)

// Bounding what the world keeps (Config.LedgerWindow): a long run at a
// high rate (`connector simulate`) would otherwise keep every change ever
// made in memory. Two things are dropped, at op boundaries (never while an
// op holds pointers into a ledger):
//
//   - ledger entries older than the newest LedgerWindow of each account
//     (Ledger and LedgerSince no longer return them; LedgerLen and the
//     indices LedgerSince takes still count them);
//   - pts updates of a box (an account's common box, a channel) that
//     getDifference or getChannelDifference can no longer return: a client
//     that far behind is answered "too long" (TooLongAfter,
//     ChannelTooLongAfter) whatever the box holds.
//
// Nothing a client can still ask for is dropped; only a consumer of the
// whole ledger (an end-to-end test) can tell, which is why it is opt-in.

// trimSlack is how far past its bound a ledger or a box's updates grow
// before they are cut back: cutting copies what is kept, so it is done
// once per trimSlack changes, not at every one.
const trimSlack = 4096

// trim drops what the bounds of cfg no longer keep (see above).
func (w *world) trim(cfg *Config) {
	if cfg.LedgerWindow <= 0 {
		return
	}
	for _, a := range w.accounts {
		if n := len(a.Ledger) - cfg.LedgerWindow; n >= trimSlack {
			a.trimLedger(n)
		}
		trimEvents(a.Box, cfg.TooLongAfter)
	}
	for _, ch := range w.channels {
		trimEvents(ch.Box, cfg.ChannelTooLongAfter)
	}
}

// trimLedger drops a's oldest n ledger entries, and the ids of the
// duplicate check (record) older than its window.
func (a *account) trimLedger(n int) {
	if a.Trimmed == nil {
		a.Trimmed = map[string]int{}
	}
	for _, e := range a.Ledger[:n] {
		a.Trimmed[e.Action]++
	}
	a.LedgerBase += n
	a.Ledger = slices.Clone(a.Ledger[n:])
	if a.recent != nil && len(a.Ledger) > 0 {
		newest := a.Ledger[len(a.Ledger)-1].Time
		for id, t := range a.recent {
			if newest.Sub(t) >= dedupWindow {
				delete(a.recent, id)
			}
		}
	}
}

// trimEvents drops the updates of b no difference can return any more:
// those at or below pts b.Pts-tooLong.
func trimEvents(b *box, tooLong int) {
	if b == nil || len(b.Events) < trimSlack {
		return
	}
	i := sort.Search(len(b.Events), func(i int) bool { return b.Events[i].Pts > b.Pts-tooLong })
	if i >= trimSlack {
		b.Events = slices.Clone(b.Events[i:])
	}
}
