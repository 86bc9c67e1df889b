package mapping

import (
	"fmt"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// Read receipts. The event's message id is the highest message read
// (max_id); private and basic-group reads are versioned by their pts (the
// common box sequences them: the same pts in pushes and differences),
// channel reads have no version (a channel's read mark only moves up, so
// its max_id is the change), reads inside a discussion thread have the
// thread's top message as version. The updates have no date: the time is
// the containing Updates'.

func readHistoryInbox(in input, u *tg.UpdateReadHistoryInbox) ([]schema.Event, error) {
	peer, err := PeerOf(u.Peer)
	if err != nil {
		return nil, fmt.Errorf("%w: read inbox peer: %w", ErrMalformed, err)
	}
	return readEvent(in, peer, schema.ActionInbox, int64(u.Pts), &schema.ReadReceipt{
		MaxID: u.MaxID, StillUnreadCount: u.StillUnreadCount, Pts: u.Pts,
	}), nil
}

func readHistoryOutbox(in input, u *tg.UpdateReadHistoryOutbox) ([]schema.Event, error) {
	peer, err := PeerOf(u.Peer)
	if err != nil {
		return nil, fmt.Errorf("%w: read outbox peer: %w", ErrMalformed, err)
	}
	return readEvent(in, peer, schema.ActionOutbox, int64(u.Pts), &schema.ReadReceipt{MaxID: u.MaxID, Pts: u.Pts}), nil
}

func readChannelInbox(in input, u *tg.UpdateReadChannelInbox) ([]schema.Event, error) {
	peer, err := channelRef(u.ChannelID)
	if err != nil {
		return nil, err
	}
	return readEvent(in, peer, schema.ActionInbox, 0, &schema.ReadReceipt{MaxID: u.MaxID, StillUnreadCount: u.StillUnreadCount}), nil
}

func readChannelOutbox(in input, u *tg.UpdateReadChannelOutbox) ([]schema.Event, error) {
	peer, err := channelRef(u.ChannelID)
	if err != nil {
		return nil, err
	}
	return readEvent(in, peer, schema.ActionOutbox, 0, &schema.ReadReceipt{MaxID: u.MaxID}), nil
}

func readDiscussionInbox(in input, u *tg.UpdateReadChannelDiscussionInbox) ([]schema.Event, error) {
	peer, err := channelRef(u.ChannelID)
	if err != nil {
		return nil, err
	}
	return readEvent(in, peer, schema.ActionInbox, int64(u.TopMsgID), &schema.ReadReceipt{MaxID: u.ReadMaxID, ThreadID: u.TopMsgID}), nil
}

func readDiscussionOutbox(in input, u *tg.UpdateReadChannelDiscussionOutbox) ([]schema.Event, error) {
	peer, err := channelRef(u.ChannelID)
	if err != nil {
		return nil, err
	}
	return readEvent(in, peer, schema.ActionOutbox, int64(u.TopMsgID), &schema.ReadReceipt{MaxID: u.ReadMaxID, ThreadID: u.TopMsgID}), nil
}

// readMessagesContents maps updateReadMessagesContents: one read.contents
// per message, in the chat the Resolver knows for it (else unknown, as for
// deletions), versioned by the update's pts.
func readMessagesContents(in input, u *tg.UpdateReadMessagesContents) ([]schema.Event, error) {
	date := in.date
	if u.Date != 0 {
		date = u.Date
	}
	evs := make([]schema.Event, 0, len(u.Messages))
	for _, id := range u.Messages {
		evs = append(evs, contentsEvent(in, in.messagePeer(id), id, int64(u.Pts), date, &schema.ReadContents{Pts: u.Pts}))
	}
	return evs, nil
}

// channelReadMessagesContents maps updateChannelReadMessagesContents: one
// read.contents per message, versioned by the thread (0 outside one).
func channelReadMessagesContents(in input, u *tg.UpdateChannelReadMessagesContents) ([]schema.Event, error) {
	peer, err := channelRef(u.ChannelID)
	if err != nil {
		return nil, err
	}
	evs := make([]schema.Event, 0, len(u.Messages))
	for _, id := range u.Messages {
		evs = append(evs, contentsEvent(in, peer, id, int64(u.TopMsgID), in.date, &schema.ReadContents{ThreadID: u.TopMsgID}))
	}
	return evs, nil
}

func channelRef(id int64) (schema.PeerRef, error) {
	if id <= 0 {
		return schema.PeerRef{}, fmt.Errorf("%w: %w: channel id %d", ErrMalformed, ErrInvalidPeer, id)
	}
	return schema.PeerRef{Kind: schema.PeerChannel, ID: id}, nil
}

func readEvent(in input, peer schema.PeerRef, action string, version int64, body *schema.ReadReceipt) []schema.Event {
	body.Account, body.Chat = in.account, chatOf(peer, in.ent)
	return []schema.Event{{
		ID:        schema.EventID(in.account, peer, body.MaxID, schema.KindRead, action, version),
		Account:   in.account,
		Kind:      schema.KindRead,
		Action:    action,
		Peer:      peer,
		MessageID: body.MaxID,
		Time:      unix(in.date),
		Data:      body,
	}}
}

func contentsEvent(in input, peer schema.PeerRef, id int, version int64, date int, body *schema.ReadContents) schema.Event {
	body.Account, body.Chat, body.MessageID = in.account, chatOf(peer, in.ent), id
	return schema.Event{
		ID:        schema.EventID(in.account, peer, id, schema.KindRead, schema.ActionContents, version),
		Account:   in.account,
		Kind:      schema.KindRead,
		Action:    schema.ActionContents,
		Peer:      peer,
		MessageID: id,
		Time:      unix(date),
		Data:      body,
	}
}
