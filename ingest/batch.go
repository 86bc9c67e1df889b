package ingest

import (
	"cmp"
	"encoding/json"
	"slices"

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
	webPages   []state.WebPageEntry // web page links, in the order seen
	stateDirty bool
}

func (b *batch) empty() bool {
	return len(b.events) == 0 && len(b.index) == 0 && len(b.peers) == 0 && len(b.channels) == 0 && len(b.polls) == 0 && len(b.webPages) == 0 && !b.stateDirty
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

// addWebPage links pending web page id to a message showing it, with the
// message's body as mapped: a later link of the same message replaces it
// when committed (the store keeps the last).
func (b *batch) addWebPage(id int64, peer schema.PeerRef, msgID int, body []byte) {
	b.webPages = append(b.webPages, state.WebPageEntry{WebPageID: id, Peer: peer, MessageID: msgID, Message: body})
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
		WebPageMessages(pageID int64) []state.WebPageEntry
	}
	b *batch
}

var (
	_ mapping.Resolver        = batchResolver{}
	_ mapping.PollResolver    = batchResolver{}
	_ mapping.WebPageResolver = batchResolver{}
)

// WebPageMessages are the messages remembered showing web page id pending,
// each as last mapped (the batch's over the store's), ordered by chat and
// message id.
func (r batchResolver) WebPageMessages(id int64) []schema.Message {
	type key struct {
		peer schema.PeerRef
		msg  int
	}
	last := map[key][]byte{}
	for _, e := range r.store.WebPageMessages(id) {
		last[key{e.Peer, e.MessageID}] = e.Message
	}
	for _, e := range r.b.webPages {
		if e.WebPageID == id {
			last[key{e.Peer, e.MessageID}] = e.Message
		}
	}
	keys := make([]key, 0, len(last))
	for k := range last {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.peer.Kind, b.peer.Kind), cmp.Compare(a.peer.ID, b.peer.ID), cmp.Compare(a.msg, b.msg))
	})
	out := make([]schema.Message, 0, len(keys))
	for _, k := range keys {
		var m schema.Message
		if err := json.Unmarshal(last[k], &m); err != nil {
			continue // written by addEvent from a schema.Message: not expected
		}
		out = append(out, m)
	}
	return out
}

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
