package sim

import (
	"fmt"
	"slices"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
)

// Reactions as Telegram delivers them. A reaction change (reactOp) is seen
// by every account that sees the message, each as Telegram would tell it:
//
//   - the account's own reaction (messages.sendReaction): the call's
//     result is an updateMessageReactions, also pushed to its other
//     sessions;
//   - a bot, another user's reaction: a qts update, updateBotMessageReaction
//     (who, old and new), or for a broadcast channel, whose reactions are
//     anonymous, updateBotMessageReactions (the counts); both are part of
//     getDifference's other_updates;
//   - a user account, any change its own call did not make:
//     updateMessageReactions, pushed only. It carries no pts or qts, so
//     Telegram puts it in no difference (core.telegram.org/api/updates:
//     getDifference recovers the pts, qts and seq sequences): a client
//     offline misses it, and its ledger entry is Live.
//
// Each is a ledger entry with the id the connector derives from the update
// (schema.ReactionVersion for counts, the qts for a bot's change).

// qtsReaction is the reaction change of a bot's qts update.
type qtsReaction struct {
	Chat  schema.PeerRef `json:"chat"`
	MsgID int            `json:"msg_id"`
	// Actor reacted from Old to New; 0 for anonymous counts (Counts).
	Actor  int64                  `json:"actor,omitempty"`
	Old    []string               `json:"old,omitempty"`
	New    []string               `json:"new,omitempty"`
	Counts []schema.ReactionCount `json:"counts,omitempty"`
}

// reactionsPush is an updateMessageReactions push: the counts of a message
// as the pushed account sees them.
type reactionsPush struct {
	Peer   schema.PeerRef
	MsgID  int
	Counts []schema.ReactionCount
	Date   int // of the containing Updates
}

// reactionCounts is what viewer sees of rs: one count per emoji in the
// order of first use, chosen_order 1 on the viewer's own reaction.
func reactionCounts(viewer int64, rs []reaction) []schema.ReactionCount {
	out := []schema.ReactionCount{}
	for _, r := range rs {
		i := slices.IndexFunc(out, func(c schema.ReactionCount) bool { return c.Reaction.Emoji == r.Emoji })
		if i < 0 {
			out = append(out, schema.ReactionCount{Reaction: schema.Reaction{Type: "emoji", Emoji: r.Emoji}})
			i = len(out) - 1
		}
		out[i].Count++
		if r.User == viewer {
			out[i].Chosen, out[i].ChosenOrder = true, 1
		}
	}
	return out
}

func tgReactionCounts(cs []schema.ReactionCount) []tg.ReactionCount {
	out := make([]tg.ReactionCount, 0, len(cs))
	for _, c := range cs {
		rc := tg.ReactionCount{Reaction: &tg.ReactionEmoji{Emoticon: c.Reaction.Emoji}, Count: c.Count}
		if c.ChosenOrder != 0 {
			rc.SetChosenOrder(c.ChosenOrder)
		}
		out = append(out, rc)
	}
	return out
}

func tgEmojis(es []string) []tg.ReactionClass {
	out := make([]tg.ReactionClass, 0, len(es))
	for _, e := range es {
		out = append(out, &tg.ReactionEmoji{Emoticon: e})
	}
	return out
}

// update renders q as the qts update Telegram sends a bot.
func (q *qtsReaction) update(qts, date int) tg.UpdateClass {
	if q.Actor == 0 {
		return &tg.UpdateBotMessageReactions{Peer: tgconv.PeerTL(q.Chat), MsgID: q.MsgID, Date: date, Reactions: tgReactionCounts(q.Counts), Qts: qts}
	}
	return &tg.UpdateBotMessageReaction{
		Peer: tgconv.PeerTL(q.Chat), MsgID: q.MsgID, Date: date, Actor: tgconv.PeerTL(schema.PeerRef{Kind: schema.PeerUser, ID: q.Actor}),
		OldReactions: tgEmojis(q.Old), NewReactions: tgEmojis(q.New), Qts: qts,
	}
}

// emojisOf is user's reactions in rs.
func emojisOf(user int64, rs []reaction) []string {
	var out []string
	for _, r := range rs {
		if r.User == user {
			out = append(out, r.Emoji)
		}
	}
	return out
}

// react sets user's reaction on a message (every copy); "" removes it.
// Every account seeing the message learns it as Telegram would tell it.
// caller is the account whose messages.sendReaction made the change ("" for
// a change made in the world): that account learns it from the call's
// result.
func (w *world) react(chat schema.PeerRef, accName string, id int, user int64, emoji string, date int, caller string) error {
	_, m, err := w.liveMessage(accName, chat, id)
	if err != nil {
		return err
	}
	if _, ok := w.users[user]; !ok {
		return fmt.Errorf("%w: user %d", ErrNotFound, user)
	}
	set := func(m *message) {
		rs := make([]reaction, 0, len(m.Reactions)+1)
		for _, r := range m.Reactions {
			if r.User != user {
				rs = append(rs, r)
			}
		}
		if emoji != "" {
			rs = append(rs, reaction{User: user, Emoji: emoji})
		}
		m.Reactions = rs
	}
	old := emojisOf(user, m.Reactions)
	var now []string
	if emoji != "" {
		now = []string{emoji}
	}
	if slices.Equal(old, now) {
		return nil
	}
	if chat.Kind == schema.PeerChannel {
		ch := w.channels[chat.ID]
		set(m)
		for _, acc := range w.accounts {
			if ch.member(acc.Name) {
				w.reactionSeen(acc, m, ch.Broadcast, user, old, now, date, caller == acc.Name)
			}
		}
		return nil
	}
	for _, c := range w.copies[m.Logical] {
		acc := w.byName[c.Account]
		cm := acc.Box.Msgs[c.ID]
		set(cm)
		if !cm.Deleted {
			w.reactionSeen(acc, cm, false, user, old, now, date, caller == acc.Name)
		}
	}
	return nil
}

// reactionSeen tells acc of user's reaction change on m (its copy);
// ownCall is true when acc's own call made it (the call's result tells it).
func (w *world) reactionSeen(acc *account, m *message, anonymous bool, user int64, old, now []string, date int, ownCall bool) {
	if acc.BotToken != "" && user != acc.UserID {
		q := &qtsReaction{Chat: m.Peer, MsgID: m.ID}
		version := int64(0)
		action := schema.ActionChanged
		if anonymous {
			q.Counts = reactionCounts(0, m.Reactions)
			action, version = schema.ActionUpdated, schema.ReactionVersion(date, q.Counts)
		} else {
			q.Actor, q.Old, q.New = user, slices.Clone(old), slices.Clone(now)
		}
		acc.Qts++
		ev := qtsEvent{Qts: acc.Qts, Date: date, Reaction: q}
		acc.QtsEvents = append(acc.QtsEvents, ev)
		if !anonymous {
			version = int64(ev.Qts)
		}
		w.record(acc, LedgerEntry{Kind: schema.KindReaction, Action: action, Peer: m.Peer, MessageID: m.ID, Version: version, From: user}, date)
		if w.live {
			w.pushes = append(w.pushes, push{Account: acc.Name, Qts: &ev})
		}
		return
	}
	counts := reactionCounts(acc.UserID, m.Reactions)
	// Live: a push only, no getDifference replays it; the account's own
	// sendReaction learns it from the call's result.
	w.record(acc, LedgerEntry{Kind: schema.KindReaction, Action: schema.ActionUpdated, Peer: m.Peer, MessageID: m.ID, Version: schema.ReactionVersion(0, counts), From: user, Live: !ownCall}, date)
	if w.live {
		w.pushes = append(w.pushes, push{Account: acc.Name, Reactions: &reactionsPush{Peer: m.Peer, MsgID: m.ID, Counts: counts, Date: date}})
	}
}

// buildReactions renders an updateMessageReactions push.
func (w *world) buildReactions(a *account, p *reactionsPush) tg.UpdatesClass {
	r := newRefs()
	r.peer(p.Peer)
	return &tg.Updates{
		Updates: []tg.UpdateClass{&tg.UpdateMessageReactions{Peer: tgconv.PeerTL(p.Peer), MsgID: p.MsgID,
			Reactions: tg.MessageReactions{Results: tgReactionCounts(p.Counts)}}},
		Users: w.tgUsers(a, r), Chats: w.tgChats(r), Date: p.Date,
	}
}
