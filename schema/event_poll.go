package schema

import (
	"fmt"
	"hash/fnv"
)

// Kinds and actions of poll events.
const (
	KindPoll = "poll"

	// ActionVoted (poll.voted, bots): a user voted or retracted a vote in
	// a poll the bot sent (updateMessagePollVote).
	ActionVoted = "voted"
	// poll.updated uses ActionUpdated: the results of a poll changed
	// (updateMessagePoll).
)

// PollAnswer is one option of a poll.
type PollAnswer struct {
	Text   string `json:"text"`
	Option []byte `json:"option"` // the option's opaque identifier
}

// PollResult is the votes of one option.
type PollResult struct {
	Option  []byte `json:"option"`
	Voters  int    `json:"voters"`
	Chosen  bool   `json:"chosen,omitempty"`  // the account voted for it
	Correct bool   `json:"correct,omitempty"` // quiz: the right answer
}

// PollUpdated is the body of poll.updated. Telegram names only the poll,
// not the message or chat carrying it: the event is on chat unknown, id 0,
// and PollID identifies the poll. Message is the message the connector
// first saw the poll in (a message.created whose media has this poll_id),
// when it did before the update (which may outrun its message).
type PollUpdated struct {
	Account     string       `json:"account"`
	Chat        Chat         `json:"chat"`
	PollID      string       `json:"poll_id"`
	Message     *PollMessage `json:"message,omitempty"`
	Question    string       `json:"question,omitempty"`
	Answers     []PollAnswer `json:"answers,omitempty"`
	Closed      bool         `json:"closed,omitempty"`
	Quiz        bool         `json:"quiz,omitempty"`
	Results     []PollResult `json:"results,omitempty"`
	TotalVoters int          `json:"total_voters,omitempty"`
	Min         bool         `json:"min,omitempty"` // the account's own vote is unknown
}

// PollMessage is the message a poll was first seen in: a forwarded poll
// shares its poll id, so the poll may show in other messages too.
type PollMessage struct {
	Chat      Chat `json:"chat"`
	MessageID int  `json:"message_id"`
}

// PollVoted is the body of poll.voted (bots): Voter's choice in poll
// PollID is now Options (empty: the vote was retracted). The event is on
// the voter's private chat; Qts is Telegram's sequence number of the
// vote and the version of the event id.
type PollVoted struct {
	Account string   `json:"account"`
	Chat    Chat     `json:"chat"`
	PollID  string   `json:"poll_id"`
	Voter   Sender   `json:"voter"`
	Options [][]byte `json:"options"`
	Qts     int      `json:"qts"`
}

// PollVersion is the version of a poll.updated event id: FNV-1a 64 over
// the poll id and the results (each option, its voters and flags, the
// total and the closed flag), cleared of its sign bit. The id of a
// poll.updated event names no message (Telegram names none), so the digest
// covers the poll id itself and is not cut to six digits.
func PollVersion(pollID int64, closed bool, total int, results []PollResult) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x1f%t\x1f%d\x1e", pollID, closed, total)
	for _, r := range results {
		fmt.Fprintf(h, "%x\x1f%d\x1f%t\x1f%t\x1e", r.Option, r.Voters, r.Chosen, r.Correct)
	}
	return int64(h.Sum64() &^ (1 << 63))
}
