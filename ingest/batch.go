package ingest

import (
	"github.com/tgnats/tgnats/mapping"
	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

// batch is what the engine has applied but not yet committed.
type batch struct {
	events     []schema.Event
	index      []state.IndexEntry
	indexByID  map[int]schema.PeerRef
	peers      map[schema.PeerRef]state.Peer
	channels   map[int64]bool
	stateDirty bool
}

func (b *batch) empty() bool {
	return len(b.events) == 0 && len(b.index) == 0 && len(b.peers) == 0 && len(b.channels) == 0 && !b.stateDirty
}

func (b *batch) dirtyChannel(id int64) {
	if b.channels == nil {
		b.channels = map[int64]bool{}
	}
	b.channels[id] = true
}

func (b *batch) addIndex(msgID int, peer schema.PeerRef) {
	if b.indexByID == nil {
		b.indexByID = map[int]schema.PeerRef{}
	}
	b.indexByID[msgID] = peer
	b.index = append(b.index, state.IndexEntry{MessageID: msgID, Peer: peer})
}

func (b *batch) addPeer(p state.Peer) {
	if b.peers == nil {
		b.peers = map[schema.PeerRef]state.Peer{}
	}
	ref := schema.PeerRef{Kind: p.Kind, ID: p.ID}
	if old, ok := b.peers[ref]; ok && p.Min && !old.Min {
		// A min constructor carries no usable access hash: keep the full one.
		p.AccessHash, p.Min = old.AccessHash, false
	}
	b.peers[ref] = p
}

func (b *batch) peerList() []state.Peer {
	if len(b.peers) == 0 {
		return nil
	}
	out := make([]state.Peer, 0, len(b.peers))
	for _, p := range b.peers {
		out = append(out, p)
	}
	return out
}

// batchResolver resolves a message id to its chat from the uncommitted batch
// first (a message created and deleted within one difference), then the store.
type batchResolver struct {
	store interface {
		MessagePeer(msgID int) (schema.PeerRef, bool)
	}
	b *batch
}

var _ mapping.Resolver = batchResolver{}

func (r batchResolver) MessagePeer(msgID int) (schema.PeerRef, bool) {
	if p, ok := r.b.indexByID[msgID]; ok {
		return p, true
	}
	return r.store.MessagePeer(msgID)
}
