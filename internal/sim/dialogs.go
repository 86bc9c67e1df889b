package sim

import (
	"cmp"
	"slices"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
)

// messages.getDialogs: the account's chats, newest top message first, each
// with its top message and, for channels, the channel's pts (a client may
// seed a channel's position from it). Channels the account left or never
// joined are not listed; chats without messages are listed after the others.
// Bots are refused (BOT_METHOD_INVALID), as on Telegram.

var errBotMethodInvalid = tgerr.New(400, "BOT_METHOD_INVALID")

type dialog struct {
	peer schema.PeerRef
	top  *message // nil for a chat without messages
	pts  int      // channels only
}

func (d *dialog) date() int {
	if d.top == nil {
		return 0
	}
	return d.top.Date
}

func (d *dialog) topID() int {
	if d.top == nil {
		return 0
	}
	return d.top.ID
}

// dialogs returns a's dialogs in getDialogs order.
func (w *world) dialogs(a *account) []dialog {
	var out []dialog
	for peer, ids := range a.Box.ByPeer {
		d := dialog{peer: peer}
		for i := len(ids) - 1; i >= 0; i-- {
			if m := a.Box.Msgs[ids[i]]; !m.Deleted {
				d.top = m
				break
			}
		}
		out = append(out, d)
	}
	for _, id := range w.chatIDs() {
		peer := schema.PeerRef{Kind: schema.PeerChat, ID: id}
		if _, ok := a.Box.ByPeer[peer]; !ok {
			out = append(out, dialog{peer: peer})
		}
	}
	for _, id := range w.chanOrder {
		ch := w.channels[id]
		if !ch.member(a.Name) {
			continue
		}
		peer := schema.PeerRef{Kind: schema.PeerChannel, ID: id}
		d := dialog{peer: peer, pts: ch.Box.Pts}
		ids := ch.Box.ByPeer[peer]
		for i := len(ids) - 1; i >= 0; i-- {
			if m := ch.Box.Msgs[ids[i]]; !m.Deleted {
				d.top = m
				break
			}
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(x, y dialog) int {
		if c := cmp.Compare(y.date(), x.date()); c != 0 {
			return c
		}
		if c := cmp.Compare(y.topID(), x.topID()); c != 0 {
			return c
		}
		if c := cmp.Compare(x.peer.Kind, y.peer.Kind); c != 0 {
			return c
		}
		return cmp.Compare(x.peer.ID, y.peer.ID)
	})
	return out
}

func (w *world) chatIDs() []int64 {
	ids := make([]int64, 0, len(w.chats))
	for id := range w.chats {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (s *Sim) onGetDialogs(a *account, req *tgtest.Request, r *tg.MessagesGetDialogsRequest) (bin.Encoder, error) {
	if a.BotToken != "" {
		return nil, errBotMethodInvalid // as on Telegram: bots have no dialog list
	}
	all := s.w.dialogs(a)
	start := 0
	if r.OffsetDate > 0 || r.OffsetID > 0 {
		// Dialogs strictly after (older than) the offset dialog.
		start = len(all)
		for i := range all {
			d := &all[i]
			if d.date() < r.OffsetDate || d.date() == r.OffsetDate && d.topID() < r.OffsetID {
				start = i
				break
			}
		}
	}
	limit := r.Limit
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	end := min(start+limit, len(all))
	rf := newRefs()
	res := &tg.MessagesDialogsSlice{Count: len(all)}
	for _, d := range all[start:end] {
		rf.peer(d.peer)
		dl := &tg.Dialog{Peer: tgconv.PeerTL(d.peer), TopMessage: d.topID(), ReadInboxMaxID: d.topID(), ReadOutboxMaxID: d.topID(),
			NotifySettings: tg.PeerNotifySettings{}}
		if d.peer.Kind == schema.PeerChannel {
			dl.SetPts(d.pts)
		}
		res.Dialogs = append(res.Dialogs, dl)
		if d.top != nil {
			rf.message(d.top)
			res.Messages = append(res.Messages, s.w.tgMessage(a, d.top))
		}
	}
	res.Chats, res.Users = s.w.tgChats(rf), s.w.tgUsers(a, rf)
	if end == len(all) && start == 0 {
		return &tg.MessagesDialogs{Dialogs: res.Dialogs, Messages: res.Messages, Chats: res.Chats, Users: res.Users}, nil
	}
	return res, nil
}
