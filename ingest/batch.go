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
	polls      map[int64]state.PollEntry // poll links, first seen first
	pollOrder  []int64
	stateDirty bool
}

func (b *batch) empty() bool {
	return len(b.events) == 0 && len(b.index) == 0 && len(b.peers) == 0 && len(b.channels) == 0 && len(b.polls) == 0 && !b.stateDirty
}

// addPoll links poll id to the message it was seen in, unless the batch
// links it already.
func (b *batch) addPoll(id int64, peer schema.PeerRef, msgID int) {
	if _, ok := b.polls[id]; ok {
		return
	}
	if b.polls == nil {
		b.polls = map[int64]state.PollEntry{}
	}
	b.polls[id] = state.PollEntry{PollID: id, Peer: peer, MessageID: msgID}
	b.pollOrder = append(b.pollOrder, id)
}

func (b *batch) pollList() []state.PollEntry {
	out := make([]state.PollEntry, 0, len(b.pollOrder))
	for _, id := range b.pollOrder {
		out = append(out, b.polls[id])
	}
	return out
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

// batchResolver resolves a message id to its chat, and a poll to the
// message it was first seen in, from the uncommitted batch first (a
// message created and deleted within one difference), then the store.
type batchResolver struct {
	store interface {
		MessagePeer(msgID int) (schema.PeerRef, bool)
		PollMessage(pollID int64) (schema.PeerRef, int, bool)
	}
	b *batch
}

var (
	_ mapping.Resolver     = batchResolver{}
	_ mapping.PollResolver = batchResolver{}
)

// PollMessage is the message poll id was first seen in.
func (r batchResolver) PollMessage(id int64) (schema.PeerRef, int, bool) {
	if ref, msgID, ok := r.store.PollMessage(id); ok {
		return ref, msgID, true
	}
	if e, ok := r.b.polls[id]; ok {
		return e.Peer, e.MessageID, true
	}
	return schema.PeerRef{}, 0, false
}

func (r batchResolver) MessagePeer(msgID int) (schema.PeerRef, bool) {
	if p, ok := r.b.indexByID[msgID]; ok {
		return p, true
	}
	return r.store.MessagePeer(msgID)
}
