package sim

import (
	"slices"
	"sort"
)

// Bounding what the world keeps (Config.LedgerWindow, and for messages
// Config.MessageWindow when set): a long run at a high rate (`connector
// simulate`) would otherwise keep every change ever made in memory. These
// are dropped, at op boundaries (never while an op holds pointers into a
// ledger):
//
//   - ledger entries older than the newest LedgerWindow of each account
//     (Ledger and LedgerSince no longer return them; LedgerLen and the
//     indices LedgerSince takes still count them);
//   - pts updates of a box (an account's common box, a channel) that
//     getDifference or getChannelDifference can no longer return: a client
//     that far behind is answered "too long" (TooLongAfter,
//     ChannelTooLongAfter) whatever the box holds;
//   - messages: each box keeps its newest MessageWindow messages, or
//     LedgerWindow when MessageWindow is 0 (by id, in all its chats), and
//     the newest message of every chat (a dialog's top message); an older
//     one is gone as if deleted for good: a call naming it gets
//     messageEmpty or MESSAGE_ID_INVALID, a control verb ErrNotFound, and
//     the generated traffic picks among the kept ones. With a message go
//     its copy reference, its random_id and, when no kept message shows it
//     any more, its media (a download then fails as for an unknown file).
//     A pts update still returned by a difference carries its message as
//     it was; with a window at or above the "too long" gap, that message
//     is still kept. MessageWindow alone (LedgerWindow 0) drops only
//     messages and what goes with them;
//   - the other records that grow with traffic keep their newest
//     LedgerWindow: each account's qts updates, renames (profiles), served
//     API calls (ServedCalls) and bot queries.
//
// Only a consumer of the whole ledger or of old messages (an end-to-end
// test) can tell, which is why it is opt-in.

// trimSlack is how far past its bound a ledger or a box's updates grow
// before they are cut back: cutting copies what is kept, so it is done
// once per trimSlack changes, not at every one.
const trimSlack = 4096

// trim drops what the bounds of cfg no longer keep (see above).
func (w *world) trim(cfg *Config) {
	if window := cfg.messageWindow(); window > 0 {
		w.trimMessages(window)
	}
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
	w.trimRecords(cfg.LedgerWindow)
}

// messageSlack is how far past window a box's messages grow before they
// are cut back: like trimSlack, but no more than the window itself (a cut
// scans what is kept).
func messageSlack(window int) int { return min(trimSlack, max(window, 64)) }

// trimMessages drops, in every box holding messageSlack messages more than
// window, the messages older than its newest window ids, but the newest
// message of each chat (see above).
func (w *world) trimMessages(window int) {
	var dropped []*message
	for _, a := range w.accounts {
		gone := a.Box.trimMessages(window)
		for _, m := range gone {
			w.dropCopy(a.Name, m)
		}
		dropped = append(dropped, gone...)
	}
	for _, id := range w.chanOrder {
		dropped = append(dropped, w.channels[id].Box.trimMessages(window)...)
	}
	if len(dropped) > 0 {
		w.trimRandoms(window)
	}
	if len(dropped) == 0 {
		return
	}
	gone := map[int64]bool{}
	for _, m := range dropped {
		if m.MediaID != 0 {
			gone[m.MediaID] = true
		}
	}
	if len(gone) == 0 {
		return
	}
	shown := func(b *box) {
		for _, m := range b.Msgs {
			delete(gone, m.MediaID)
		}
	}
	for _, a := range w.accounts {
		shown(a.Box)
	}
	for _, ch := range w.channels {
		shown(ch.Box)
	}
	for id := range gone {
		delete(w.media, id)
	}
}

// dropCopy forgets the copy m of account's box in w.copies.
func (w *world) dropCopy(account string, m *message) {
	refs := slices.DeleteFunc(w.copies[m.Logical], func(c copyRef) bool { return c.Account == account && c.ID == m.ID })
	if len(refs) == 0 {
		delete(w.copies, m.Logical)
	} else {
		w.copies[m.Logical] = refs
	}
}

// trimMessages drops b's messages older than its newest window ids, but
// each chat's newest, once b holds messageSlack more than window; it returns
// them.
func (b *box) trimMessages(window int) []*message {
	if len(b.Msgs) < window+messageSlack(window) {
		return nil
	}
	cut := b.NextID - window // ids at or below it go
	var out []*message
	for peer, ids := range b.ByPeer {
		i := sort.SearchInts(ids, cut+1)
		if i == len(ids) {
			i-- // the chat's newest message stays
		}
		if i <= 0 {
			continue
		}
		for _, id := range ids[:i] {
			out = append(out, b.Msgs[id])
			delete(b.Msgs, id)
		}
		b.ByPeer[peer] = slices.Clone(ids[i:])
	}
	return out
}

// trimRecords keeps the newest window of each record that grows with
// traffic besides messages (see above), cut once trimSlack past it.
func (w *world) trimRecords(window int) {
	for _, a := range w.accounts {
		if n := len(a.QtsEvents) - window; n >= trimSlack {
			a.QtsEvents = slices.Clone(a.QtsEvents[n:])
		}
		if n := len(w.calls[a.Name]) - window; n >= trimSlack {
			w.calls[a.Name] = slices.Clone(w.calls[a.Name][n:])
		}
	}
	if n := len(w.profiles) - window; n >= trimSlack {
		w.profiles = slices.Clone(w.profiles[n:])
	}
	if len(w.queries) >= window+trimSlack {
		// Query ids are not ordered: the oldest go by date.
		dates := make([]int, 0, len(w.queries))
		for _, q := range w.queries {
			dates = append(dates, q.Date)
		}
		slices.Sort(dates)
		cut := dates[len(dates)-window]
		for id, q := range w.queries {
			if q.Date < cut {
				delete(w.queries, id)
			}
		}
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

// trimRandoms forgets, for an account that sent window+trimSlack messages
// with a random_id, those whose message no box holds any more (the id may
// be a common-box or a channel message's).
func (w *world) trimRandoms(window int) {
	for _, a := range w.accounts {
		rs := w.randoms[a.Name]
		if len(rs) < window+trimSlack {
			continue
		}
		for rid, id := range rs {
			if a.Box.Msgs[id] != nil {
				continue
			}
			held := false
			for _, ch := range w.channels {
				if ch.Box.Msgs[id] != nil {
					held = true
					break
				}
			}
			if !held {
				delete(rs, rid)
			}
		}
	}
}
