package mapping_test

import (
	"errors"
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/mapping"
	"github.com/tgnats/tgnats/schema"
)

// memberCases are the golden cases of members, join requests, bots, chats
// and users (issue 12).
func memberCases(ent tg.Entities) []goldenCase {
	invite := &tg.ChatInviteExported{Link: "https://t.me/+AbCdEf", AdminID: selfID, Date: date - 100}
	return []goldenCase{
		// Alice joined the supergroup by an invite link (the account is a bot admin: qts 7).
		{name: "channel_participant_joined", ent: ent, want: 1, update: &tg.UpdateChannelParticipant{
			ChannelID: gophers, Date: date, ActorID: alice, UserID: alice,
			NewParticipant: &tg.ChannelParticipant{UserID: alice, Date: date},
			Invite:         invite, Qts: 7,
		}},
		// The account (Me) kicked and banned Alice.
		{name: "channel_participant_kicked", ent: ent, want: 1, update: &tg.UpdateChannelParticipant{
			ChannelID: gophers, Date: date + 1, ActorID: selfID, UserID: alice,
			PrevParticipant: &tg.ChannelParticipant{UserID: alice, Date: date},
			NewParticipant: &tg.ChannelParticipantBanned{Peer: &tg.PeerUser{UserID: alice}, KickedBy: selfID, Date: date + 1,
				BannedRights: tg.ChatBannedRights{ViewMessages: true}},
			Qts: 8,
		}},
		// Alice made the account an admin with a title: self.
		{name: "channel_participant_promoted", ent: ent, want: 1, update: &tg.UpdateChannelParticipant{
			ChannelID: gophers, Date: date + 2, ActorID: alice, UserID: selfID,
			PrevParticipant: &tg.ChannelParticipantSelf{UserID: selfID, InviterID: alice, Date: date},
			NewParticipant:  &tg.ChannelParticipantAdmin{Self: true, UserID: selfID, PromotedBy: alice, Date: date + 2, Rank: "keeper"},
			Qts:             9,
		}},
		// The account was removed from the basic group (qts, bots).
		{name: "chat_participant_left", ent: ent, want: 1, update: &tg.UpdateChatParticipant{
			ChatID: family, Date: date + 3, ActorID: alice, UserID: selfID,
			PrevParticipant: &tg.ChatParticipant{UserID: selfID, InviterID: alice, Date: date},
			Qts:             10,
		}},
		{name: "chat_participant_add", ent: ent, want: 1, update: &tg.UpdateChatParticipantAdd{
			ChatID: family, UserID: botID, InviterID: alice, Date: date + 4, Version: 5,
		}},
		{name: "chat_participant_delete", ent: ent, want: 1, at: date + 5, update: &tg.UpdateChatParticipantDelete{
			ChatID: family, UserID: botID, Version: 6,
		}},
		{name: "chat_participant_admin", ent: ent, want: 1, at: date + 6, update: &tg.UpdateChatParticipantAdmin{
			ChatID: family, UserID: alice, IsAdmin: true, Version: 7,
		}},
		{name: "bot_stopped", ent: ent, want: 1, update: &tg.UpdateBotStopped{UserID: alice, Date: date + 7, Stopped: true, Qts: 11}},
		{name: "bot_restarted", ent: ent, want: 1, update: &tg.UpdateBotStopped{UserID: alice, Date: date + 8, Qts: 12}},
		{name: "join_requested", ent: ent, want: 1, update: &tg.UpdateBotChatInviteRequester{
			Peer: &tg.PeerChannel{ChannelID: gophers}, Date: date + 9, UserID: alice, About: "I like Go", Invite: invite, Qts: 13,
		}},
		{name: "join_pending", ent: ent, want: 1, at: date + 10, update: &tg.UpdatePendingJoinRequests{
			Peer: &tg.PeerChannel{ChannelID: gophers}, RequestsPending: 2, RecentRequesters: []int64{alice, botID},
		}},
		// A basic group's whole member list, and the list the account may
		// no longer see.
		{name: "chat_members", ent: ent, want: 1, at: date + 11, update: &tg.UpdateChatParticipants{Participants: &tg.ChatParticipants{
			ChatID: family, Version: 8, Participants: []tg.ChatParticipantClass{
				&tg.ChatParticipantCreator{UserID: alice},
				&tg.ChatParticipantAdmin{UserID: selfID, InviterID: alice, Date: date - 86400},
				&tg.ChatParticipant{UserID: botID, InviterID: selfID, Date: date - 3600},
			},
		}}},
		{name: "chat_members_forbidden", ent: ent, want: 1, at: date + 11, update: &tg.UpdateChatParticipants{Participants: &tg.ChatParticipantsForbidden{
			ChatID: family, SelfParticipant: &tg.ChatParticipant{UserID: selfID, InviterID: alice, Date: date - 86400},
		}}},
		{name: "chat_updated", ent: ent, want: 1, at: date + 11, update: &tg.UpdateChat{ChatID: family}},
		{name: "chat_updated_unknown", ent: ent, want: 1, at: date + 11, update: &tg.UpdateChat{ChatID: 999}},
		{name: "user_name", ent: ent, want: 1, at: date + 12, update: &tg.UpdateUserName{
			UserID: alice, FirstName: "Alicia", LastName: "Smith", Usernames: []tg.Username{{Username: "alicia", Active: true}},
		}},
		{name: "user_phone", ent: ent, want: 1, at: date + 13, update: &tg.UpdateUserPhone{UserID: alice, Phone: "15550100"}},
		{name: "user_emoji_status", ent: ent, want: 1, at: date + 14, update: &tg.UpdateUserEmojiStatus{
			UserID: alice, EmojiStatus: &tg.EmojiStatus{DocumentID: 5368324170671202286},
		}},
		{name: "user_profile", ent: ent, want: 1, at: date + 15, update: &tg.UpdateUser{UserID: botID}},
	}
}

// TestChannelUpdateIsFetched: updateChannel names only the channel; the
// update itself maps to no event (ingest fetches the channel and calls
// mapping.Channel), whatever entities come with it.
func TestChannelUpdateIsFetched(t *testing.T) {
	for _, id := range []int64{gophers, 999} {
		evs, err := mapping.Update(account, &tg.UpdateChannel{ChannelID: id}, entities(), date, nil)
		if !errors.Is(err, mapping.ErrIgnored) || len(evs) != 0 {
			t.Fatalf("channel %d: Update = %v, %v; want no event, ignored", id, evs, err)
		}
	}
}

// TestGoldenChannel: what channels.getChannels returns after an
// updateChannel, as chat.updated.
func TestGoldenChannel(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    tg.ChatClass
	}{
		// Renamed, with a new username and photo.
		{"channel_renamed", &tg.Channel{ID: news, Title: "Gopher News", Username: "gophernews", Broadcast: true,
			Photo: &tg.ChatPhoto{PhotoID: 4242, DCID: 2}}},
		// The account left the channel.
		{"channel_left", &tg.Channel{ID: news, Title: "News", Broadcast: true, Left: true}},
		// The account was banned: Telegram gives only the title.
		{"channel_forbidden", &tg.ChannelForbidden{ID: news, Title: "News", Broadcast: true}},
		// Telegram refused the request (CHANNEL_PRIVATE).
		{"channel_refused", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := mapping.Channel(account, news, tc.c, date+11)
			if err != nil {
				t.Fatal(err)
			}
			assertValidCloudEvent(t, &ev)
			compareGolden(t, tc.name, encodeGolden(t, []schema.Event{ev}))
		})
	}
	if _, err := mapping.Channel(account, news, &tg.Channel{ID: gophers}, date); !errors.Is(err, mapping.ErrMalformed) {
		t.Fatalf("another channel than asked: err = %v, want ErrMalformed", err)
	}
}
