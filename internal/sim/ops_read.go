package sim

import (
	"context"

	"github.com/tgnats/tgnats/schema"
)

// MarkRead is Read without a context, for the user-account traffic
// generator (traffic_user.go): a read receipt of a private chat or basic
// group as account sees it, up to its message maxID.
func (s *Sim) MarkRead(account string, chat schema.PeerRef, maxID int, outbox bool) error {
	return s.Read(context.Background(), account, chat, maxID, outbox)
}
