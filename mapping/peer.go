package mapping

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// PeerOf converts a tg.PeerClass to a schema.PeerRef. It returns an error
// wrapping ErrInvalidPeer for nil, an unknown constructor or a non-positive id.
func PeerOf(p tg.PeerClass) (schema.PeerRef, error) {
	var ref schema.PeerRef
	switch p := p.(type) {
	case *tg.PeerUser:
		if p != nil {
			ref = schema.PeerRef{Kind: schema.PeerUser, ID: p.UserID}
		}
	case *tg.PeerChat:
		if p != nil {
			ref = schema.PeerRef{Kind: schema.PeerChat, ID: p.ChatID}
		}
	case *tg.PeerChannel:
		if p != nil {
			ref = schema.PeerRef{Kind: schema.PeerChannel, ID: p.ChannelID}
		}
	case nil:
		return schema.PeerRef{}, fmt.Errorf("%w: nil", ErrInvalidPeer)
	default:
		return schema.PeerRef{}, fmt.Errorf("%w: constructor %s", ErrInvalidPeer, p.TypeName())
	}
	if ref.Kind == "" {
		return schema.PeerRef{}, fmt.Errorf("%w: nil %T", ErrInvalidPeer, p)
	}
	if ref.ID <= 0 {
		return schema.PeerRef{}, fmt.Errorf("%w: %s id %d", ErrInvalidPeer, ref.Kind, ref.ID)
	}
	return ref, nil
}

// TLPeer is the inverse of PeerOf: the Telegram peer of ref, nil for kinds
// without one (unknown).
func TLPeer(ref schema.PeerRef) tg.PeerClass { return peerTL(ref) }

func peerTL(ref schema.PeerRef) tg.PeerClass {
	switch ref.Kind {
	case schema.PeerUser:
		return &tg.PeerUser{UserID: ref.ID}
	case schema.PeerChat:
		return &tg.PeerChat{ChatID: ref.ID}
	case schema.PeerChannel:
		return &tg.PeerChannel{ChannelID: ref.ID}
	}
	return nil
}

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

// absent reports whether v is nil or a typed nil pointer, as TL interface
// fields of hand-built or malformed structs may be.
func absent(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}
