package mapping

import (
	"fmt"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// messageReactions maps updateMessageReactions to reaction.updated: the
// counts of a message now, the account's own choice and recent reactors
// where Telegram lists them. The update has no date: the event's time is
// the containing Updates', and its id version the digest of the counts
// (schema.ReactionVersion with date 0).
func messageReactions(in input, u *tg.UpdateMessageReactions) ([]schema.Event, error) {
	peer, body, err := countsBody(in, u.Peer, u.MsgID, u.Reactions.Results)
	if err != nil {
		return nil, err
	}
	body.Min = u.Reactions.Min
	for _, r := range u.Reactions.RecentReactions {
		ref, err := PeerOf(r.PeerID)
		if err != nil {
			continue
		}
		body.Recent = append(body.Recent, schema.RecentReaction{
			Peer: *senderOf(ref, in.ent), Reaction: reactionOf(r.Reaction), Date: unix(r.Date),
			Big: r.Big, Unread: r.Unread, My: r.My,
		})
	}
	return []schema.Event{reactionEvent(in.account, peer, u.MsgID, schema.ActionUpdated,
		schema.ReactionVersion(0, body.Reactions), in.date, body)}, nil
}

// botMessageReactions maps updateBotMessageReactions (a bot's view of
// anonymous reactions, a channel post's counts) to reaction.updated, its
// version the update's date and a digest of the counts.
func botMessageReactions(in input, u *tg.UpdateBotMessageReactions) ([]schema.Event, error) {
	peer, body, err := countsBody(in, u.Peer, u.MsgID, u.Reactions)
	if err != nil {
		return nil, err
	}
	body.Anonymous = true
	return []schema.Event{reactionEvent(in.account, peer, u.MsgID, schema.ActionUpdated,
		schema.ReactionVersion(u.Date, body.Reactions), u.Date, body)}, nil
}

// botMessageReaction maps updateBotMessageReaction (bots: who changed
// which reactions) to reaction.changed, versioned by its qts.
func botMessageReaction(in input, u *tg.UpdateBotMessageReaction) ([]schema.Event, error) {
	peer, err := PeerOf(u.Peer)
	if err != nil {
		return nil, fmt.Errorf("%w: reaction on message %d peer: %w", ErrMalformed, u.MsgID, err)
	}
	actor, err := PeerOf(u.Actor)
	if err != nil {
		return nil, fmt.Errorf("%w: reaction on message %d actor: %w", ErrMalformed, u.MsgID, err)
	}
	body := &schema.ReactionChanged{
		Account:   in.account,
		Chat:      chatOf(peer, in.ent),
		MessageID: u.MsgID,
		Actor:     *senderOf(actor, in.ent),
		Date:      unix(u.Date),
		Old:       reactions(u.OldReactions),
		New:       reactions(u.NewReactions),
		Qts:       u.Qts,
	}
	return []schema.Event{reactionEvent(in.account, peer, u.MsgID, schema.ActionChanged, int64(u.Qts), u.Date, body)}, nil
}

// countsBody is the reaction.updated body of the counts of message msgID
// in chat p.
func countsBody(in input, p tg.PeerClass, msgID int, counts []tg.ReactionCount) (schema.PeerRef, *schema.ReactionsUpdated, error) {
	peer, err := PeerOf(p)
	if err != nil {
		return peer, nil, fmt.Errorf("%w: reactions of message %d peer: %w", ErrMalformed, msgID, err)
	}
	return peer, &schema.ReactionsUpdated{
		Account:   in.account,
		Chat:      chatOf(peer, in.ent),
		MessageID: msgID,
		Reactions: reactionCounts(counts),
	}, nil
}

func reactionEvent(account string, peer schema.PeerRef, msgID int, action string, version int64, date int, body any) schema.Event {
	return schema.Event{
		ID:        schema.EventID(account, peer, msgID, schema.KindReaction, action, version),
		Account:   account,
		Kind:      schema.KindReaction,
		Action:    action,
		Peer:      peer,
		MessageID: msgID,
		Time:      unix(date),
		Data:      body,
	}
}

// reactionCounts maps Telegram's counts; never nil, so that "no
// reactions left" is an empty list.
func reactionCounts(rs []tg.ReactionCount) []schema.ReactionCount {
	out := make([]schema.ReactionCount, 0, len(rs))
	for _, r := range rs {
		out = append(out, schema.ReactionCount{
			Reaction: reactionOf(r.Reaction), Count: r.Count,
			Chosen: r.ChosenOrder != 0, ChosenOrder: r.ChosenOrder,
		})
	}
	return out
}

// reactions maps a list of reactions, dropping reactionEmpty; never nil.
func reactions(rs []tg.ReactionClass) []schema.Reaction {
	out := make([]schema.Reaction, 0, len(rs))
	for _, r := range rs {
		if _, empty := r.(*tg.ReactionEmpty); empty || absent(r) {
			continue
		}
		out = append(out, reactionOf(r))
	}
	return out
}

func reactionOf(r tg.ReactionClass) schema.Reaction {
	switch r := r.(type) {
	case *tg.ReactionEmoji:
		return schema.Reaction{Type: "emoji", Emoji: r.Emoticon}
	case *tg.ReactionCustomEmoji:
		return schema.Reaction{Type: "custom_emoji", CustomEmojiID: r.DocumentID}
	case nil:
		return schema.Reaction{Type: "unsupported", Constructor: "null"}
	}
	return schema.Reaction{Type: "unsupported", Constructor: r.TypeName()}
}
