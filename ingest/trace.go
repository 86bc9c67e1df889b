package ingest

import (
	"sync"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// maxTraces bounds the traceparents waiting for their message events.
const maxTraces = 4096

// traceKey names a message: channel id (0 for the common box, whose
// message ids are unique per account) and message id.
type traceKey struct {
	channel int64
	msgID   int
}

// traces remembers the traceparent of updates handed in by a command
// (schema.WithTraceParent on the ctx of Handle) until the message events
// they produce are encoded. Oldest entries go first beyond maxTraces.
type traces struct {
	mu    sync.Mutex
	m     map[traceKey]string
	order []traceKey
}

// note records tp for every message u creates, edits, deletes, pins,
// reacts to or reads up to.
func (t *traces) note(u tg.UpdatesClass, tp string) {
	var keys []traceKey
	add := func(ch int64, ids ...int) {
		for _, id := range ids {
			keys = append(keys, traceKey{ch, id})
		}
	}
	msg := func(m tg.MessageClass) {
		if m == nil {
			return
		}
		var ch int64
		if p, ok := m.(interface{ GetPeerID() tg.PeerClass }); ok {
			if c, ok := p.GetPeerID().(*tg.PeerChannel); ok {
				ch = c.ChannelID
			}
		}
		add(ch, m.GetID())
	}
	var list []tg.UpdateClass
	switch u := u.(type) {
	case *tg.Updates:
		list = u.Updates
	case *tg.UpdatesCombined:
		list = u.Updates
	case *tg.UpdateShort:
		list = []tg.UpdateClass{u.Update}
	case *tg.UpdateShortMessage:
		add(0, u.ID)
	case *tg.UpdateShortChatMessage:
		add(0, u.ID)
	}
	for _, up := range list {
		switch up := up.(type) {
		case *tg.UpdateNewMessage:
			msg(up.Message)
		case *tg.UpdateNewChannelMessage:
			msg(up.Message)
		case *tg.UpdateEditMessage:
			msg(up.Message)
		case *tg.UpdateEditChannelMessage:
			msg(up.Message)
		case *tg.UpdateDeleteMessages:
			add(0, up.Messages...)
		case *tg.UpdateDeleteChannelMessages:
			add(up.ChannelID, up.Messages...)
		case *tg.UpdatePinnedMessages:
			add(0, up.Messages...)
		case *tg.UpdatePinnedChannelMessages:
			add(up.ChannelID, up.Messages...)
		case *tg.UpdateMessageReactions:
			if c, ok := up.Peer.(*tg.PeerChannel); ok {
				add(c.ChannelID, up.MsgID)
			} else {
				add(0, up.MsgID)
			}
		case *tg.UpdateReadHistoryInbox:
			add(0, up.MaxID)
		}
	}
	if len(keys) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[traceKey]string{}
	}
	for _, k := range keys {
		t.m[k] = tp
		t.order = append(t.order, k)
	}
	for len(t.order) > maxTraces {
		delete(t.m, t.order[0])
		t.order = t.order[1:]
	}
}

// take returns (and forgets) the traceparent of an event about a message:
// its creation, edit, deletion or pin, a reaction on it, a read up to it.
func (t *traces) take(ev *schema.Event) string {
	switch ev.Kind {
	case schema.KindMessage, schema.KindReaction, schema.KindRead:
	default:
		return ""
	}
	k := traceKey{msgID: ev.MessageID}
	if ev.Peer.Kind == schema.PeerChannel {
		k.channel = ev.Peer.ID
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	tp, ok := t.m[k]
	if ok {
		delete(t.m, k)
	}
	return tp
}
