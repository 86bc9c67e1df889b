package mapping

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
)

// PeerOf converts a tg.PeerClass to a schema.PeerRef. It returns an error
// wrapping ErrInvalidPeer for nil, an unknown constructor or a non-positive id.
func PeerOf(p tg.PeerClass) (schema.PeerRef, error) {
	ref, err := tgconv.Peer(p)
	if err != nil {
		return schema.PeerRef{}, fmt.Errorf("%w: %w", ErrInvalidPeer, err)
	}
	return ref, nil
}

// peerTL is the inverse of PeerOf (see tgconv.PeerTL).
func peerTL(ref schema.PeerRef) tg.PeerClass { return tgconv.PeerTL(ref) }

// chatOf describes the chat ref, with title/username/broadcast from ent
// when ent knows it. For private chats the title is the user's full name.
func chatOf(ref schema.PeerRef, ent tg.Entities) schema.Chat {
	c := schema.NewChat(ref)
	switch ref.Kind {
	case schema.PeerUser:
		if u := ent.Users[ref.ID]; u != nil {
			c.Title = fullName(u.FirstName, u.LastName)
			c.Username = userUsername(u)
		}
	case schema.PeerChat:
		if ch := ent.Chats[ref.ID]; ch != nil {
			c.Title = ch.Title
		}
	case schema.PeerChannel:
		if ch := ent.Channels[ref.ID]; ch != nil {
			c.Title = ch.Title
			c.Username = channelUsername(ch)
			c.Broadcast = ch.Broadcast
		}
	}
	return c
}

// senderOf describes the sender ref with names from ent when known.
func senderOf(ref schema.PeerRef, ent tg.Entities) *schema.Sender {
	s := &schema.Sender{Kind: ref.Kind, ID: ref.ID, IDStr: strconv.FormatInt(ref.ID, 10)}
	switch ref.Kind {
	case schema.PeerUser:
		if u := ent.Users[ref.ID]; u != nil {
			s.FirstName = u.FirstName
			s.LastName = u.LastName
			s.Username = userUsername(u)
			s.IsBot = u.Bot
		}
	case schema.PeerChat:
		if ch := ent.Chats[ref.ID]; ch != nil {
			s.Title = ch.Title
		}
	case schema.PeerChannel:
		if ch := ent.Channels[ref.ID]; ch != nil {
			s.Title = ch.Title
			s.Username = channelUsername(ch)
		}
	}
	return s
}

// selfOf finds the account's own user among ent, 0 when absent.
func selfOf(ent tg.Entities) int64 {
	for id, u := range ent.Users {
		if u != nil && u.Self {
			return id
		}
	}
	return 0
}

func fullName(first, last string) string {
	return strings.TrimSpace(first + " " + last)
}

func userUsername(u *tg.User) string {
	if u.Username != "" {
		return u.Username
	}
	for _, n := range u.Usernames {
		if n.Active {
			return n.Username
		}
	}
	return ""
}

func channelUsername(c *tg.Channel) string {
	if c.Username != "" {
		return c.Username
	}
	for _, n := range c.Usernames {
		if n.Active {
			return n.Username
		}
	}
	return ""
}

// absent reports whether v is nil or a typed nil pointer (see tgconv.Absent).
func absent(v any) bool { return tgconv.Absent(v) }
