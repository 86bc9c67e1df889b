package sim

import (
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// TestLookupsWithoutAccessHash: a bot gets the users and channels it has
// met from users.getUsers / channels.getChannels with access_hash 0, as on
// Telegram; a stranger is userEmpty, a channel it is not in CHANNEL_INVALID.
func TestLookupsWithoutAccessHash(t *testing.T) {
	ctx := testCtx(t)
	met := shared.CreateUser("Met", "", "")
	stranger := shared.CreateUser("Stranger", "", "")
	super, err := shared.CreateChat(schema.PeerChannel, "met here", met)
	if err != nil {
		t.Fatal(err)
	}
	notIn, err := shared.Inject(ctx, Fault{Kind: FaultHistory, N: 1})
	if err != nil {
		t.Fatal(err)
	}

	users, err := mainAPI.UsersGetUsers(ctx, []tg.InputUserClass{
		&tg.InputUser{UserID: met},
		&tg.InputUser{UserID: stranger},
		&tg.InputUser{UserID: stranger, AccessHash: accessHash("user", stranger)},
		&tg.InputUser{UserID: stranger, AccessHash: 12345},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 4 {
		t.Fatalf("%d users, want 4: %v", len(users), users)
	}
	if u, ok := users[0].(*tg.User); !ok || u.ID != met || u.AccessHash != accessHash("user", met) {
		t.Errorf("met user with hash 0: %v", users[0])
	}
	if u, ok := users[1].(*tg.UserEmpty); !ok || u.ID != stranger {
		t.Errorf("stranger with hash 0: %v, want userEmpty", users[1])
	}
	if u, ok := users[2].(*tg.User); !ok || u.ID != stranger {
		t.Errorf("stranger with the right hash: %v", users[2])
	}
	if _, ok := users[3].(*tg.UserEmpty); !ok {
		t.Errorf("stranger with a wrong hash: %v, want userEmpty", users[3])
	}

	res, err := mainAPI.ChannelsGetChannels(ctx, []tg.InputChannelClass{&tg.InputChannel{ChannelID: super.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if chats := res.GetChats(); len(chats) != 1 || chats[0].(*tg.Channel).AccessHash != accessHash("channel", super.ID) {
		t.Errorf("channel the bot is in, with hash 0: %v", chats)
	}
	for _, id := range []int64{notIn, 987654} {
		_, err := mainAPI.ChannelsGetChannels(ctx, []tg.InputChannelClass{&tg.InputChannel{ChannelID: id}})
		wantRPCError(t, err, "CHANNEL_INVALID")
	}
}

// TestUserAccountLookupNeedsHash: a user account gets nobody for
// access_hash 0 (Telegram's exception, contacts, is not simulated).
func TestUserAccountLookupNeedsHash(t *testing.T) {
	s, err := New(Config{Accounts: []Account{{Name: "u", Phone: "+15550001", UserID: 7}}, Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u := s.CreateUser("A", "", "")
	sendN(t, s, "u", schema.PeerRef{Kind: schema.PeerUser, ID: u}, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.w.byName["u"]
	if s.w.userVisible(a, u, 0) {
		t.Error("a user account sees a user with access_hash 0")
	}
	if !s.w.userVisible(a, u, accessHash("user", u)) {
		t.Error("a user account does not see a user with the right hash")
	}
}
