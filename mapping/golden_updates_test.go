package mapping_test

import (
	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/mapping"
	"github.com/tgnats/tgnats/schema"
)

// reactionReadPinPollCases are the golden cases of reactions, read
// receipts, pins and polls: one per mapped constructor.
func reactionReadPinPollCases() []goldenCase {
	ent := entities()
	thumbs := &tg.ReactionEmoji{Emoticon: "👍"}
	heart := &tg.ReactionEmoji{Emoticon: "❤"}
	return []goldenCase{
		// The account's own 👍 and Alice's ❤ on its message 11; Alice is listed as a recent reactor.
		{name: "reactions_private", ent: ent, want: 1, at: date + 700, update: &tg.UpdateMessageReactions{
			Peer: &tg.PeerUser{UserID: alice}, MsgID: 11, Reactions: tg.MessageReactions{
				Results:         []tg.ReactionCount{{Reaction: thumbs, Count: 1, ChosenOrder: 1}, {Reaction: heart, Count: 1}},
				RecentReactions: []tg.MessagePeerReaction{{PeerID: &tg.PeerUser{UserID: alice}, Reaction: heart, Date: date + 699, Unread: true, My: true}},
			},
		}},
		// A bot's view of anonymous reactions on a broadcast post, with a custom emoji.
		{name: "reactions_bot_anonymous", ent: ent, want: 1, at: date + 800, update: &tg.UpdateBotMessageReactions{
			Peer: &tg.PeerChannel{ChannelID: news}, MsgID: 30, Date: date + 799, Qts: 41,
			Reactions: []tg.ReactionCount{{Reaction: thumbs, Count: 12}, {Reaction: &tg.ReactionCustomEmoji{DocumentID: 5368324170671202286}, Count: 3}},
		}},
		// A bot learns that Alice replaced 👍 by ❤ on message 20 of a supergroup.
		{name: "reaction_bot_changed", ent: ent, want: 1, at: date + 900, update: &tg.UpdateBotMessageReaction{
			Peer: &tg.PeerChannel{ChannelID: gophers}, MsgID: 20, Date: date + 899, Actor: &tg.PeerUser{UserID: alice},
			OldReactions: []tg.ReactionClass{thumbs}, NewReactions: []tg.ReactionClass{heart}, Qts: 42,
		}},
		{name: "read_inbox_private", ent: ent, want: 1, at: date + 1000, update: &tg.UpdateReadHistoryInbox{
			Peer: &tg.PeerUser{UserID: alice}, MaxID: 12, StillUnreadCount: 1, Pts: 57, PtsCount: 1,
		}},
		{name: "read_outbox_group", ent: ent, want: 1, at: date + 1001, update: &tg.UpdateReadHistoryOutbox{
			Peer: &tg.PeerChat{ChatID: family}, MaxID: 14, Pts: 58, PtsCount: 1,
		}},
		{name: "read_inbox_channel", ent: ent, want: 1, at: date + 1002, update: &tg.UpdateReadChannelInbox{
			ChannelID: gophers, MaxID: 20, StillUnreadCount: 2, Pts: 310,
		}},
		{name: "read_outbox_channel", ent: ent, want: 1, at: date + 1003, update: &tg.UpdateReadChannelOutbox{
			ChannelID: gophers, MaxID: 21,
		}},
		{name: "read_inbox_discussion", ent: ent, want: 1, at: date + 1004, update: &tg.UpdateReadChannelDiscussionInbox{
			ChannelID: gophers, TopMsgID: 3, ReadMaxID: 19,
		}},
		{name: "read_outbox_discussion", ent: ent, want: 1, at: date + 1005, update: &tg.UpdateReadChannelDiscussionOutbox{
			ChannelID: gophers, TopMsgID: 3, ReadMaxID: 20,
		}},
		// A voice message (10) and one never seen (98): the latter's chat is unknown.
		{name: "read_contents_private", ent: ent, want: 2, at: date + 1006,
			r:      resolver{10: {Kind: schema.PeerUser, ID: alice}},
			update: &tg.UpdateReadMessagesContents{Messages: []int{10, 98}, Pts: 59, PtsCount: 2, Date: date + 1006}},
		{name: "read_contents_channel", ent: ent, want: 1, at: date + 1007, update: &tg.UpdateChannelReadMessagesContents{
			ChannelID: gophers, Messages: []int{20},
		}},
		{name: "pin_private", ent: ent, want: 1, at: date + 1100, update: &tg.UpdatePinnedMessages{
			Pinned: true, Peer: &tg.PeerUser{UserID: alice}, Messages: []int{11}, Pts: 60, PtsCount: 1,
		}},
		{name: "unpin_channel", ent: ent, want: 2, at: date + 1101, update: &tg.UpdatePinnedChannelMessages{
			ChannelID: gophers, Messages: []int{20, 22}, Pts: 311, PtsCount: 1,
		}},
		{name: "poll_results", ent: ent, want: 1, at: date + 1200, update: func() tg.UpdateClass {
			u := &tg.UpdateMessagePoll{PollID: 6022374129832706049, Results: tg.PollResults{
				Results:     []tg.PollAnswerVoters{{Option: []byte("0"), Voters: 2, Chosen: true}, {Option: []byte("1"), Voters: 1}},
				TotalVoters: 3,
			}}
			u.SetPoll(tg.Poll{ID: 6022374129832706049, Question: "Lunch?", Answers: []tg.PollAnswer{{Text: "Pizza", Option: []byte("0")}, {Text: "Sushi", Option: []byte("1")}}})
			return u
		}()},
		// The connector saw the poll in message 25 of the supergroup.
		{name: "poll_results_linked", ent: ent, r: polls{6022374129832706049: {schema.PeerRef{Kind: schema.PeerChannel, ID: gophers}, 25}}, want: 1, at: date + 1200, update: func() tg.UpdateClass {
			u := &tg.UpdateMessagePoll{PollID: 6022374129832706049, Results: tg.PollResults{
				Results:     []tg.PollAnswerVoters{{Option: []byte("0"), Voters: 2, Chosen: true}, {Option: []byte("1"), Voters: 1}},
				TotalVoters: 3,
			}}
			u.SetPoll(tg.Poll{ID: 6022374129832706049, Question: "Lunch?", Answers: []tg.PollAnswer{{Text: "Pizza", Option: []byte("0")}, {Text: "Sushi", Option: []byte("1")}}})
			return u
		}()},
		{name: "poll_vote", ent: ent, want: 1, at: date + 1201, update: &tg.UpdateMessagePollVote{
			PollID: 6022374129832706049, Peer: &tg.PeerUser{UserID: alice}, Options: [][]byte{[]byte("1")}, Qts: 43,
		}},
	}
}

// polls is the in-memory twin of the state store's poll links.
type polls map[int64]struct {
	peer schema.PeerRef
	id   int
}

func (polls) MessagePeer(int) (schema.PeerRef, bool) { return schema.PeerRef{}, false }

func (p polls) PollMessage(id int64) (schema.PeerRef, int, bool) {
	l, ok := p[id]
	return l.peer, l.id, ok
}

var _ mapping.PollResolver = polls(nil)
