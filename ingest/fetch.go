package ingest

import (
	"context"
	"slices"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"github.com/tgnats/tgnats/mapping"
	"github.com/tgnats/tgnats/schema"
)

// updateChannel says a channel or supergroup changed for the account
// (joined, left, kicked or banned, renamed, a new username or photo) and
// names only its id. The engine fetches the channel (channels.getChannels)
// after the commit that applied the update and publishes what Telegram
// returns as chat.updated (mapping.Channel). Until then the stored state
// date stays where it was (durableDate): a connector stopped in between
// gets the update again from getDifference and fetches then. The event id
// is the fetched state's (schema.ChatVersion), so fetching again publishes
// nothing new; a channel that changed twice before its fetch is published
// once, in its latest state.

// channelFetch is a channel to fetch after updateChannel.
type channelFetch struct {
	// date is the date of the latest updateChannel of the channel: the
	// event's time.
	date int
	// hash is the channel's access hash sent with the update, 0 if none.
	hash int64
	// notBefore holds the next attempt back after a transient failure.
	notBefore time.Time
	failures  int
}

// fetchChannel notes that channel id is to be fetched (updateChannel
// dated date, sent with ent).
func (e *Engine) fetchChannel(id int64, ent tg.Entities, date int) {
	if id <= 0 {
		e.log.Warn("channel update without a channel id", "channel", id)
		return
	}
	f := e.chanFetch[id]
	if f == nil {
		f = &channelFetch{}
		e.chanFetch[id] = f
	}
	f.date = max(f.date, date)
	if ch := ent.Channels[id]; ch != nil && !ch.Min && ch.AccessHash != 0 {
		f.hash = ch.AccessHash
	}
}

// fetchChannels fetches the channels noted by fetchChannel whose time has
// come, adds their chat.updated events and commits them.
func (e *Engine) fetchChannels(ctx context.Context) error {
	now := e.cfg.Clock.Now()
	var due []int64
	for id, f := range e.chanFetch {
		if !f.notBefore.After(now) {
			due = append(due, id)
		}
	}
	if len(due) == 0 {
		return nil
	}
	slices.Sort(due)
	for _, id := range due {
		f := e.chanFetch[id]
		c, err := e.getChannel(ctx, id, f.hash)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && !permanent(err):
			f.failures++
			wait := min(time.Second<<min(f.failures-1, 8), maxChannelBackoff)
			if d, ok := tgerr.AsFloodWait(err); ok {
				wait = max(wait, d)
			}
			f.notBefore = now.Add(wait)
			e.log.Warn("fetching a changed channel failed: trying again later", "channel", id, "retry_in", wait, "error", err)
			continue
		case err != nil && !lostAccess(err):
			// CHANNEL_INVALID and the like: nothing to say about it.
			delete(e.chanFetch, id)
			e.cfg.Metrics.mappingError(e.cfg.Account, nil)
			e.log.Warn("changed channel could not be fetched: no event", "channel", id, "error", err)
			continue
		}
		delete(e.chanFetch, id)
		ev, err := mapping.Channel(e.cfg.Account, id, c, f.date)
		if err != nil {
			e.cfg.Metrics.mappingError(e.cfg.Account, nil)
			e.log.Warn("changed channel could not be mapped", "channel", id, "error", err)
			continue
		}
		e.addEvent(&ev)
	}
	if len(e.chanFetch) == 0 && e.st.Date != e.committedDate {
		// The date held back for these fetches (durableDate) may move on.
		e.b.stateDirty = true
	}
	return e.flush()
}

// getChannel fetches channel id: a *tg.Channel, a *tg.ChannelForbidden,
// or nil with the error Telegram answered. The channel's peer record is
// updated from what it returns.
func (e *Engine) getChannel(ctx context.Context, id, hash int64) (tg.ChatClass, error) {
	ref := schema.PeerRef{Kind: schema.PeerChannel, ID: id}
	if hash == 0 {
		if box := e.channels[id]; box != nil {
			hash = box.AccessHash
		}
	}
	if hash == 0 {
		if p, ok := e.b.peers[ref]; ok {
			hash = p.AccessHash
		} else if p, err := e.cfg.Store.Peer(ref); err == nil {
			hash = p.AccessHash
		}
	}
	var res tg.MessagesChatsClass
	err := e.call(ctx, "channels.getChannels", func() (err error) {
		res, err = e.cfg.API.ChannelsGetChannels(ctx, []tg.InputChannelClass{&tg.InputChannel{ChannelID: id, AccessHash: hash}})
		return err
	})
	if err != nil {
		return nil, err
	}
	chats := res.GetChats()
	e.entities(nil, chats)
	for _, c := range chats {
		if c.GetID() == id {
			return c, nil
		}
	}
	// Asked for one channel, got none: Telegram does not show it.
	return nil, nil
}

// lostAccess reports an answer saying the account may not see the
// channel any more.
func lostAccess(err error) bool {
	return tgerr.Is(err, "CHANNEL_PRIVATE", "CHANNEL_PUBLIC_GROUP_NA", "USER_BANNED_IN_CHANNEL") || tgerr.IsCode(err, 403)
}
