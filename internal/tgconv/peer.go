package tgconv

import (
	"errors"
	"fmt"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// Peer converts a tg.PeerClass to a schema.PeerRef. For nil, an unknown
// constructor or a non-positive id it returns an error that says which;
// callers wrap it in their own sentinel.
func Peer(p tg.PeerClass) (schema.PeerRef, error) {
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
		return schema.PeerRef{}, errors.New("nil")
	default:
		return schema.PeerRef{}, fmt.Errorf("constructor %s", p.TypeName())
	}
	if ref.Kind == "" {
		return schema.PeerRef{}, fmt.Errorf("nil %T", p)
	}
	if ref.ID <= 0 {
		return schema.PeerRef{}, fmt.Errorf("%s id %d", ref.Kind, ref.ID)
	}
	return ref, nil
}

// PeerTL is the inverse of Peer: the Telegram peer of ref, nil for kinds
// without one (unknown).
func PeerTL(ref schema.PeerRef) tg.PeerClass {
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
