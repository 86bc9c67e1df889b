package sim

import (
	"fmt"
	"slices"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
)

// Polls. A poll message (Outgoing.Media "poll") carries a poll of fixed
// question and answers; every copy holds its votes. A vote (voteOp) is
// told to the account that sent the poll, as Telegram tells its creator:
// a bot gets updateMessagePollVote (qts, replayed by getDifference; in the
// ledger as poll.voted on the voter's private chat, version the qts), and
// every creator gets updateMessagePoll with the results, pushed only (no
// pts or qts: a client offline misses it; a Live ledger entry, poll.updated
// on chat unknown). Other accounts are told nothing. Poll messages cannot
// be edited (Telegram allows only stopping them).

// pollState is the poll of a poll message.
type pollState struct {
	ID       int64
	Question string
	Answers  []string
	Votes    []pollVote
}

type pollVote struct {
	User    int64
	Options []int
}

// Poll of scenario and control-made polls.
var (
	pollQuestion = "Lunch?"
	pollAnswers  = []string{"Pizza", "Sushi", "Salad"}
)

// pollOption is the opaque option of answer i, as Telegram gives it.
func pollOption(i int) []byte { return []byte{byte('0' + i)} }

// results is p's results as viewer sees them.
func (p *pollState) results(viewer int64) (total int, rs []schema.PollResult) {
	rs = make([]schema.PollResult, len(p.Answers))
	for i := range rs {
		rs[i].Option = pollOption(i)
	}
	for _, v := range p.Votes {
		total++
		for _, o := range v.Options {
			rs[o].Voters++
			if v.User == viewer {
				rs[o].Chosen = true
			}
		}
	}
	return total, rs
}

func (p *pollState) tgPoll() tg.Poll {
	out := tg.Poll{ID: p.ID, Question: p.Question}
	for i, a := range p.Answers {
		out.Answers = append(out.Answers, tg.PollAnswer{Text: a, Option: pollOption(i)})
	}
	return out
}

func (p *pollState) tgResults(viewer int64) tg.PollResults {
	total, rs := p.results(viewer)
	out := tg.PollResults{TotalVoters: total}
	for _, r := range rs {
		v := tg.PollAnswerVoters{Option: r.Option, Voters: r.Voters, Chosen: r.Chosen}
		out.Results = append(out.Results, v)
	}
	out.SetFlags()
	return out
}

// tgPollMedia renders a poll message's media.
func tgPollMedia(p *pollState, viewer int64) *tg.MessageMediaPoll {
	return &tg.MessageMediaPoll{Poll: p.tgPoll(), Results: p.tgResults(viewer)}
}

// qtsVote is the vote of a bot's updateMessagePollVote.
type qtsVote struct {
	PollID  int64
	User    int64
	Options []int
}

func (v *qtsVote) update(qts int) tg.UpdateClass {
	opts := make([][]byte, 0, len(v.Options))
	for _, o := range v.Options {
		opts = append(opts, pollOption(o))
	}
	return &tg.UpdateMessagePollVote{PollID: v.PollID, Peer: tgconv.PeerTL(schema.PeerRef{Kind: schema.PeerUser, ID: v.User}), Options: opts, Qts: qts}
}

// pollPush is an updateMessagePoll push.
type pollPush struct {
	Poll    tg.Poll
	Results tg.PollResults
	Date    int
}

// voteOp is user From's vote in the poll of message IDs[0] of Chat (as
// Account sees it): Options are answer indexes; none retracts the vote.
type voteOp struct {
	Chat    schema.PeerRef `json:"chat"`
	Account string         `json:"account,omitempty"`
	IDs     []int          `json:"ids,omitempty"`
	From    int64          `json:"from,omitempty"`
	Options []int          `json:"options,omitempty"`
}

func (*voteOp) kind() string   { return opVote }
func (o *voteOp) check() error { return firstID(opVote, o.IDs) }
func (o *voteOp) apply(w *world, date int, _ *Call) (int64, error) {
	return 0, w.vote(o, date)
}

// vote applies o: the votes of every copy, then what the poll's creator
// is told.
func (w *world) vote(o *voteOp, date int) error {
	_, m, err := w.liveMessage(o.Account, o.Chat, o.IDs[0])
	if err != nil {
		return err
	}
	if m.Poll == nil {
		return fmt.Errorf("%w: message %d in %s is not a poll", ErrNotFound, o.IDs[0], o.Chat)
	}
	if _, ok := w.users[o.From]; !ok {
		return fmt.Errorf("%w: user %d", ErrNotFound, o.From)
	}
	if len(o.Options) > 1 {
		return fmt.Errorf("%w: a single-answer poll", ErrInvalid)
	}
	for _, i := range o.Options {
		if i < 0 || i >= len(m.Poll.Answers) {
			return fmt.Errorf("%w: option %d of %d answers", ErrInvalid, i, len(m.Poll.Answers))
		}
	}
	set := func(p *pollState) {
		vs := slices.DeleteFunc(slices.Clone(p.Votes), func(v pollVote) bool { return v.User == o.From })
		if len(o.Options) > 0 {
			vs = append(vs, pollVote{User: o.From, Options: slices.Clone(o.Options)})
		}
		p.Votes = vs
	}
	var views []*message
	if o.Chat.Kind == schema.PeerChannel {
		views = []*message{m}
	} else {
		for _, c := range w.copies[m.Logical] {
			views = append(views, w.byName[c.Account].Box.Msgs[c.ID])
		}
	}
	for _, cm := range views {
		p := *cm.Poll
		set(&p)
		cm.Poll = &p
	}
	for _, acc := range w.accounts {
		if m.From != acc.UserID || (o.Chat.Kind == schema.PeerChannel && !w.channels[o.Chat.ID].member(acc.Name)) {
			continue // only the poll's creator is told
		}
		w.votedFor(acc, m.Poll, o.From, o.Options, date)
	}
	return nil
}

// votedFor tells acc, the creator of poll p, of user's vote.
func (w *world) votedFor(acc *account, p *pollState, user int64, options []int, date int) {
	if acc.BotToken != "" {
		acc.Qts++
		ev := qtsEvent{Qts: acc.Qts, Date: date, Vote: &qtsVote{PollID: p.ID, User: user, Options: slices.Clone(options)}}
		acc.QtsEvents = append(acc.QtsEvents, ev)
		w.record(acc, LedgerEntry{Kind: schema.KindPoll, Action: schema.ActionVoted, Peer: schema.PeerRef{Kind: schema.PeerUser, ID: user}, Version: int64(ev.Qts), From: user}, date)
		if w.live {
			w.pushes = append(w.pushes, push{Account: acc.Name, Qts: &ev})
		}
	}
	total, rs := p.results(acc.UserID)
	if e := w.record(acc, LedgerEntry{Kind: schema.KindPoll, Action: schema.ActionUpdated, Peer: schema.PeerRef{Kind: schema.PeerUnknown}, Version: schema.PollVersion(p.ID, false, total, rs), From: user}, date); e != nil {
		e.Live = true
	}
	if w.live {
		w.pushes = append(w.pushes, push{Account: acc.Name, Poll: &pollPush{Poll: p.tgPoll(), Results: p.tgResults(acc.UserID), Date: date}})
	}
}

// buildPoll renders an updateMessagePoll push.
func (w *world) buildPoll(p *pollPush) tg.UpdatesClass {
	u := &tg.UpdateMessagePoll{PollID: p.Poll.ID, Results: p.Results}
	u.SetPoll(p.Poll)
	return &tg.Updates{Updates: []tg.UpdateClass{u}, Date: p.Date}
}
