package sim

import (
	"github.com/gotd/td/bin"
	"github.com/gotd/td/tgtest"
)

// maxResent bounds the answers kept for resent requests.
const maxResent = 4096

// resentKey names one MTProto request: a client that hears no
// acknowledgement in time sends the same message (msg_id) again.
type resentKey struct {
	authKey [8]byte
	session int64
	msgID   int64
}

type answer struct {
	res bin.Encoder
	err error
}

// resentCache keeps the answers of the latest requests, so that a request
// sent again is answered as the first time, not run twice: Telegram does
// not execute a message it already received (a send would be made twice,
// or fail for an upload the first one consumed). Guarded by Sim.mu.
type resentCache struct {
	m     map[resentKey]answer
	order []resentKey
}

func newResentCache() *resentCache { return &resentCache{m: map[resentKey]answer{}} }

func keyOf(req *tgtest.Request) resentKey {
	return resentKey{authKey: req.Session.AuthKey.ID, session: req.Session.ID, msgID: req.MsgID}
}

func (c *resentCache) get(k resentKey) (answer, bool) {
	a, ok := c.m[k]
	return a, ok
}

func (c *resentCache) put(k resentKey, a answer) {
	if _, ok := c.m[k]; !ok {
		c.order = append(c.order, k)
	}
	c.m[k] = a
	if len(c.order) > maxResent {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
}
