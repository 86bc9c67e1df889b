package mapping

import (
	"fmt"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// pinnedMessages maps updatePinnedMessages (a private chat or basic group)
// to one message.pinned or message.unpinned event per message.
func pinnedMessages(in input, u *tg.UpdatePinnedMessages) ([]schema.Event, error) {
	peer, err := PeerOf(u.Peer)
	if err != nil {
		return nil, fmt.Errorf("%w: pinned messages peer: %w", ErrMalformed, err)
	}
	return pins(in, peer, u.Messages, u.Pinned, u.Pts), nil
}

// pinnedChannelMessages maps updatePinnedChannelMessages like pinnedMessages.
func pinnedChannelMessages(in input, u *tg.UpdatePinnedChannelMessages) ([]schema.Event, error) {
	if u.ChannelID <= 0 {
		return nil, fmt.Errorf("%w: %w: channel id %d", ErrMalformed, ErrInvalidPeer, u.ChannelID)
	}
	return pins(in, schema.PeerRef{Kind: schema.PeerChannel, ID: u.ChannelID}, u.Messages, u.Pinned, u.Pts), nil
}

// pins builds the events of one pin update: versioned by its pts, which
// is Telegram's identity of the change whether pushed or in a difference.
// The update has no date: the time is the containing Updates'.
func pins(in input, peer schema.PeerRef, ids []int, pinned bool, pts int) []schema.Event {
	action := schema.ActionUnpinned
	if pinned {
		action = schema.ActionPinned
	}
	evs := make([]schema.Event, 0, len(ids))
	for _, id := range ids {
		evs = append(evs, schema.Event{
			ID:        schema.EventID(in.account, peer, id, schema.KindMessage, action, int64(pts)),
			Account:   in.account,
			Kind:      schema.KindMessage,
			Action:    action,
			Peer:      peer,
			MessageID: id,
			Time:      unix(in.date),
			Data:      &schema.MessagePin{Account: in.account, Chat: chatOf(peer, in.ent), MessageID: id, Pinned: pinned, Pts: pts},
		})
	}
	return evs
}
