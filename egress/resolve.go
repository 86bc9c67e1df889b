package egress

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

// Peer resolution: a command names a chat by id or @username; a Telegram
// call needs its access hash (basic groups excepted). The order:
//
//  1. the peer store (filled by ingest from every event's entities);
//  2. for a @username, contacts.resolveUsername;
//  3. for an id without a usable hash, Telegram itself:
//     users.getUsers / channels.getChannels with access_hash 0, which
//     Telegram answers for bots about users and channels they have met
//     (a private chat, a shared group, a channel they are in) and for
//     users about their contacts; then, for user accounts, the first page
//     of messages.getDialogs (bots get BOT_METHOD_INVALID, remembered).
//
// What Telegram answers is stored like ingest stores entities. An id
// nobody could resolve is remembered for negativeTTL, so a bad id costs
// at most one round of lookups per negativeTTL, not one per command.

const (
	// negativeTTL is how long an unresolvable id answers PEER_NOT_FOUND
	// without asking Telegram again.
	negativeTTL = 30 * time.Second
	// maxNegative bounds the remembered unresolvable ids.
	maxNegative = 4096
	// dialogsPage is how many dialogs a user account's lookup reads.
	dialogsPage = 100
)

// lookups is the state of peer resolution beyond the store.
type lookups struct {
	mu      sync.Mutex
	missing map[schema.PeerRef]time.Time // unresolvable id → when to ask again
	// noDialogs is set once messages.getDialogs answered
	// BOT_METHOD_INVALID: the account is a bot.
	noDialogs atomic.Bool
}

func newLookups() *lookups { return &lookups{missing: map[schema.PeerRef]time.Time{}} }

// knownMissing reports whether ref failed to resolve less than negativeTTL ago.
func (l *lookups) knownMissing(ref schema.PeerRef, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	until, ok := l.missing[ref]
	if ok && !now.Before(until) {
		delete(l.missing, ref)
		return false
	}
	return ok
}

// markMissing remembers that ref did not resolve.
func (l *lookups) markMissing(ref schema.PeerRef, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.missing) >= maxNegative {
		for r, until := range l.missing {
			if !now.Before(until) {
				delete(l.missing, r)
			}
		}
		if len(l.missing) >= maxNegative {
			clear(l.missing)
		}
	}
	l.missing[ref] = now.Add(negativeTTL)
}

// forget drops ref from the unresolvable ids (it resolved after all).
func (l *lookups) forget(ref schema.PeerRef) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.missing, ref)
}

// resolve finds the access hash of a chat: the peer store first, then
// contacts.resolveUsername for usernames, or Telegram's lookups by id
// (see above); what Telegram answers is stored.
func (e *Egress) resolve(ctx context.Context, c *command, p schema.PeerInput) (target, error) {
	if ref, ok := p.Ref(); ok {
		return e.resolveID(ctx, c, ref)
	}
	if peer, err := e.cfg.Store.PeerByUsername(p.Username); err == nil {
		return target{peer: peer, input: inputPeer(peer)}, nil
	}
	var res *tg.ContactsResolvedPeer
	err := e.call(ctx, c, "", func(ctx context.Context) error {
		var err error
		res, err = e.cfg.API.ContactsResolveUsername(ctx, p.Username)
		return err
	})
	if err != nil {
		return target{}, err
	}
	peers := resolvedPeers(res)
	want, _ := tgconv.Peer(res.Peer) // zero for a malformed answer: nothing matches
	var found *state.Peer
	for i := range peers {
		if peers[i].Ref() == want {
			found = &peers[i]
			break
		}
	}
	if found == nil {
		return target{}, schema.NewCommandError(schema.CodePeerNotFound, "@%s did not resolve to a chat", p.Username)
	}
	e.storePeers(peers, "@"+p.Username)
	return target{peer: *found, input: inputPeer(*found)}, nil
}

// resolveID resolves a chat named by kind and id.
func (e *Egress) resolveID(ctx context.Context, c *command, ref schema.PeerRef) (target, error) {
	peer, err := e.cfg.Store.Peer(ref)
	switch {
	case err == nil && !peer.Min:
		return target{peer: peer, input: inputPeer(peer)}, nil
	case err == nil: // only a min constructor: its hash may not work for this account
	case errors.Is(err, state.ErrNotFound) && ref.Kind == schema.PeerChat:
		peer = state.Peer{Kind: ref.Kind, ID: ref.ID} // basic groups need no access hash
		return target{peer: peer, input: inputPeer(peer)}, nil
	case errors.Is(err, state.ErrNotFound):
	default:
		return target{}, fmt.Errorf("peer %s: %w: %w", ref, errTransient, err)
	}
	stored := err == nil
	found, err := e.lookup(ctx, c, ref)
	switch {
	case err != nil:
		return target{}, err
	case found != nil:
		return target{peer: *found, input: inputPeer(*found)}, nil
	case stored: // try the min peer's hash, as before lookups existed
		return target{peer: peer, input: inputPeer(peer)}, nil
	}
	return target{}, schema.NewCommandError(schema.CodePeerNotFound,
		"peer %s is unknown to this account: neither the connector's events nor Telegram (users.getUsers, channels.getChannels, dialogs) gave an access hash for it; "+
			"address it by @username, or wait until it appears in an event (a message from or in it, the bot added to it)", ref)
}

// lookup asks Telegram for ref's access hash. It returns nil, nil when
// Telegram does not give one; the answer is then remembered for negativeTTL.
// The calls do not count as the command reaching Telegram: a later retry
// with the same key looks again instead of replaying PEER_NOT_FOUND.
func (e *Egress) lookup(ctx context.Context, c *command, ref schema.PeerRef) (*state.Peer, error) {
	now := e.cfg.Now()
	if e.peers.knownMissing(ref, now) {
		return nil, nil
	}
	called := c.called
	defer func() { c.called = called }()
	steps := []func(context.Context, *command, schema.PeerRef) ([]state.Peer, error){e.lookupByID, e.lookupInDialogs}
	for _, step := range steps {
		peers, err := step(ctx, c, ref)
		if err != nil {
			return nil, err
		}
		e.storePeers(peers, ref.String())
		for i := range peers {
			if peers[i].Ref() == ref && !peers[i].Min && (peers[i].AccessHash != 0 || ref.Kind == schema.PeerChat) {
				e.peers.forget(ref)
				return &peers[i], nil
			}
		}
	}
	e.peers.markMissing(ref, now)
	return nil, nil
}

// lookupByID calls users.getUsers or channels.getChannels with access_hash
// 0. Telegram's "you may not see this" answers count as no answer.
func (e *Egress) lookupByID(ctx context.Context, c *command, ref schema.PeerRef) ([]state.Peer, error) {
	var peers []state.Peer
	err := e.call(ctx, c, "", func(ctx context.Context) error {
		switch ref.Kind {
		case schema.PeerUser:
			users, err := e.cfg.API.UsersGetUsers(ctx, []tg.InputUserClass{&tg.InputUser{UserID: ref.ID}})
			peers = peersOf(users, nil)
			return err
		case schema.PeerChannel:
			res, err := e.cfg.API.ChannelsGetChannels(ctx, []tg.InputChannelClass{&tg.InputChannel{ChannelID: ref.ID}})
			if res != nil {
				peers = peersOf(nil, res.GetChats())
			}
			return err
		}
		return nil
	})
	if refused(err) {
		return nil, nil
	}
	return peers, err
}

// lookupInDialogs reads the first page of a user account's dialogs
// (bots have none: BOT_METHOD_INVALID, remembered).
func (e *Egress) lookupInDialogs(ctx context.Context, c *command, _ schema.PeerRef) ([]state.Peer, error) {
	if e.peers.noDialogs.Load() {
		return nil, nil
	}
	var peers []state.Peer
	err := e.call(ctx, c, "", func(ctx context.Context) error {
		res, err := e.cfg.API.MessagesGetDialogs(ctx, &tg.MessagesGetDialogsRequest{OffsetPeer: &tg.InputPeerEmpty{}, Limit: dialogsPage})
		if err != nil {
			return err
		}
		if d, ok := res.AsModified(); ok {
			peers = peersOf(d.GetUsers(), d.GetChats())
		}
		return nil
	})
	if tgerr.Is(err, "BOT_METHOD_INVALID") {
		e.peers.noDialogs.Store(true)
		return nil, nil
	}
	if refused(err) {
		return nil, nil
	}
	return peers, err
}

// refused reports a lookup Telegram turned down: a 400 that says the
// account may not see the peer, not a failure worth retrying.
func refused(err error) bool {
	rpc, ok := tgerr.As(err)
	return ok && rpc.Code == 400
}

// storePeers commits peers Telegram answered, as ingest does with entities.
func (e *Egress) storePeers(peers []state.Peer, what string) {
	if len(peers) == 0 {
		return
	}
	if err := e.cfg.Store.Commit(&state.Commit{Peers: peers}); err != nil {
		e.log.Warn("resolved peers not stored", "peer", what, "error", err)
	}
}

func resolvedPeers(res *tg.ContactsResolvedPeer) []state.Peer {
	if res == nil {
		return nil
	}
	return peersOf(res.Users, res.Chats)
}

// peersOf converts Telegram's users and chats into stored peers; empty and
// forbidden constructors carry no usable access hash and are left out.
func peersOf(users []tg.UserClass, chats []tg.ChatClass) []state.Peer {
	var out []state.Peer
	for _, u := range users {
		if u, ok := u.(*tg.User); ok {
			out = append(out, state.Peer{Kind: schema.PeerUser, ID: u.ID, AccessHash: u.AccessHash, FirstName: u.FirstName,
				LastName: u.LastName, Username: u.Username, Bot: u.Bot, Min: u.Min})
		}
	}
	for _, ch := range chats {
		switch ch := ch.(type) {
		case *tg.Chat:
			out = append(out, state.Peer{Kind: schema.PeerChat, ID: ch.ID, Title: ch.Title})
		case *tg.Channel:
			out = append(out, state.Peer{Kind: schema.PeerChannel, ID: ch.ID, AccessHash: ch.AccessHash, Title: ch.Title,
				Username: ch.Username, Broadcast: ch.Broadcast, Min: ch.Min})
		}
	}
	return out
}
