package sim

import (
	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// The result forms of the call faults (faultstate.go): updateShortSentMessage
// for FaultShortSent, and the peer of a call answered FLOOD_WAIT.

// shortSent renders the result of a private send as updateShortSentMessage.
func shortSent(own []push, id int, ents []tg.MessageEntityClass) *tg.UpdateShortSentMessage {
	u := &tg.UpdateShortSentMessage{Out: true, ID: id, Entities: ents}
	for _, p := range own {
		if p.Channel == 0 && p.Event.Msg.ID == id {
			u.Pts, u.PtsCount, u.Date = p.Event.Pts, p.Event.PtsCount, p.Event.Date
		}
	}
	u.SetFlags()
	return u
}

func inputPeerRef(in tg.InputPeerClass) schema.PeerRef {
	switch p := in.(type) {
	case *tg.InputPeerUser:
		return schema.PeerRef{Kind: schema.PeerUser, ID: p.UserID}
	case *tg.InputPeerChat:
		return schema.PeerRef{Kind: schema.PeerChat, ID: p.ChatID}
	case *tg.InputPeerChannel:
		return schema.PeerRef{Kind: schema.PeerChannel, ID: p.ChannelID}
	}
	return schema.PeerRef{}
}
