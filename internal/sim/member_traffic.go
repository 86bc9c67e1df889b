package sim

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/tgnats/tgnats/schema"
)

// actMember is the generated traffic's member change (issue 12) in t: in a
// group, a user not in it joins or asks to join, a member leaves, is
// kicked, promoted or demoted; in a private chat the user stops or
// restarts the bot (a qts update, as FaultQts makes), is renamed or
// changes phone, emoji status or profile; a channel or supergroup may be
// renamed (updateChannel), a basic group's member list sent
// (updateChatParticipants). A quarter of them come after a typing or status
// signal.
func (s *Sim) actMember(ctx context.Context, rng *rand.Rand, t target) error {
	if len(t.members) > 0 && rng.IntN(4) == 0 {
		// A live signal first (not recorded: typing, online status).
		from := t.members[rng.IntN(len(t.members))]
		if t.chat.Kind == schema.PeerUser {
			from = t.chat.ID
		}
		var err error
		if rng.IntN(2) == 0 {
			err = s.Typing(ctx, t.chat, from, "typing")
		} else {
			err = s.SetStatus(ctx, from, rng.IntN(2) == 0)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			return err
		}
	}
	if t.chat.Kind == schema.PeerUser {
		switch rng.IntN(4) {
		case 0:
			n := strconv.Itoa(rng.IntN(1000))
			return s.RenameUser(ctx, t.chat.ID, "Renamed"+n, "User", "renamed"+n)
		case 1:
			// Another change of the user: phone, emoji status, profile.
			change := []string{schema.UserChangePhone, schema.UserChangeEmojiStatus, schema.UserChangeProfile}[rng.IntN(3)]
			return s.ChangeUser(ctx, t.chat.ID, change, "1555"+strconv.Itoa(rng.IntN(10000)), int64(5000+rng.IntN(100)))
		}
		_, err := s.Inject(ctx, Fault{Kind: FaultQts, Account: t.account, User: t.chat.ID, N: 1 + rng.IntN(2)})
		return err
	}
	if t.chat.Kind == schema.PeerChat && rng.IntN(6) == 0 {
		return s.SendMembers(ctx, t.chat)
	}
	if t.chat.Kind == schema.PeerChannel && rng.IntN(5) == 0 {
		n := strconv.Itoa(rng.IntN(1000))
		return s.RenameChat(ctx, t.chat, "Channel "+n, "channel"+n)
	}
	c, ok := s.memberChoice(rng, t.chat)
	if !ok {
		return s.actNew(ctx, rng, t, false)
	}
	_, err := s.ChangeMember(ctx, c)
	return err
}

// memberChoice picks a member change of chat that the world allows.
func (s *Sim) memberChoice(rng *rand.Rand, chat schema.PeerRef) (MemberChange, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	members, admins, err := s.w.memberLists(chat)
	if err != nil || s.w.scen == nil {
		return MemberChange{}, false
	}
	var outside []int64
	for _, u := range s.w.scen.Users {
		if !slices.Contains(*members, u) && !s.w.isAccountUser(u) {
			outside = append(outside, u)
		}
	}
	c := MemberChange{Chat: chat}
	switch x := rng.IntN(6); {
	case x < 2 && len(outside) > 0:
		c.User, c.Change = outside[rng.IntN(len(outside))], MemberJoin
		if x == 1 {
			c.Change, c.About = MemberRequest, "let me in"
		}
	case len(*members) > 2 && x < 4:
		// Keep two members: generated messages come from members.
		c.User, c.Change = (*members)[rng.IntN(len(*members))], MemberLeave
		if x == 3 {
			c.Change = MemberKick
		}
	case len(*members) > 0:
		c.User = (*members)[rng.IntN(len(*members))]
		c.Change, c.Rank = MemberPromote, "mod"
		if _, ok := (*admins)[c.User]; ok && x == 5 {
			c.Change, c.Rank = MemberDemote, ""
		}
	default:
		return MemberChange{}, false
	}
	return c, true
}
