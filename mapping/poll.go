package mapping

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// messagePoll maps updateMessagePoll to poll.updated. Telegram names the
// poll only, not the message or chat carrying it: the event is on chat
// unknown (id 0), message 0, versioned by schema.PollVersion (the poll id
// and its results). The body links the message the poll was first seen in
// when the Resolver is a PollResolver that knows it; the id and subject do
// not depend on it, so what the connector remembers never changes them.
// The update has no date: the time is the containing Updates'.
func messagePoll(in input, u *tg.UpdateMessagePoll) ([]schema.Event, error) {
	peer := schema.PeerRef{Kind: schema.PeerUnknown}
	body := &schema.PollUpdated{
		Account:     in.account,
		Chat:        chatOf(peer, in.ent),
		PollID:      strconv.FormatInt(u.PollID, 10),
		Results:     make([]schema.PollResult, 0, len(u.Results.Results)),
		TotalVoters: u.Results.TotalVoters,
		Min:         u.Results.Min,
	}
	if r, ok := in.r.(PollResolver); ok {
		if ref, id, ok := r.PollMessage(u.PollID); ok && ref.Kind.Valid() && id > 0 {
			body.Message = &schema.PollMessage{Chat: chatOf(ref, in.ent), MessageID: id}
		}
	}
	if p, ok := u.GetPoll(); ok {
		body.Question, body.Closed, body.Quiz = p.Question, p.Closed, p.Quiz
		for _, a := range p.Answers {
			body.Answers = append(body.Answers, schema.PollAnswer{Text: a.Text, Option: slices.Clone(a.Option)})
		}
	}
	for _, r := range u.Results.Results {
		body.Results = append(body.Results, schema.PollResult{Option: slices.Clone(r.Option), Voters: r.Voters, Chosen: r.Chosen, Correct: r.Correct})
	}
	version := schema.PollVersion(u.PollID, body.Closed, body.TotalVoters, body.Results)
	return []schema.Event{{
		ID:      schema.EventID(in.account, peer, 0, schema.KindPoll, schema.ActionUpdated, version),
		Account: in.account,
		Kind:    schema.KindPoll,
		Action:  schema.ActionUpdated,
		Peer:    peer,
		Time:    unix(in.date),
		Data:    body,
	}}, nil
}

// messagePollVote maps updateMessagePollVote (bots) to poll.voted on the
// voter's private chat, versioned by its qts.
func messagePollVote(in input, u *tg.UpdateMessagePollVote) ([]schema.Event, error) {
	voter, err := PeerOf(u.Peer)
	if err != nil {
		return nil, fmt.Errorf("%w: poll %d vote peer: %w", ErrMalformed, u.PollID, err)
	}
	opts := make([][]byte, 0, len(u.Options))
	for _, o := range u.Options {
		opts = append(opts, slices.Clone(o))
	}
	body := &schema.PollVoted{
		Account: in.account,
		Chat:    chatOf(voter, in.ent),
		PollID:  strconv.FormatInt(u.PollID, 10),
		Voter:   *senderOf(voter, in.ent),
		Options: opts,
		Qts:     u.Qts,
	}
	return []schema.Event{{
		ID:      schema.EventID(in.account, voter, 0, schema.KindPoll, schema.ActionVoted, int64(u.Qts)),
		Account: in.account,
		Kind:    schema.KindPoll,
		Action:  schema.ActionVoted,
		Peer:    voter,
		Time:    unix(in.date),
		Data:    body,
	}}, nil
}
