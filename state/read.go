package state

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/cockroachdb/pebble"
	"github.com/tgnats/tgnats/schema"
)

// UpdateState returns the common update state; false when none was ever committed.
func (s *Store) UpdateState() (UpdateState, bool, error) {
	done, err := s.use()
	if err != nil {
		return UpdateState{}, false, err
	}
	defer done()
	v, err := s.get(keyUpdate)
	if errors.Is(err, ErrNotFound) {
		return UpdateState{}, false, nil
	}
	if err != nil {
		return UpdateState{}, false, fmt.Errorf("update state: %w", err)
	}
	var d diskUpdateState
	if err := json.Unmarshal(v, &d); err != nil {
		return UpdateState{}, false, fmt.Errorf("update state: %w: %w", ErrCorrupt, err)
	}
	return UpdateState{Pts: d.Pts, Qts: d.Qts, Seq: d.Seq, Date: d.Date, MaxMessageID: d.MaxMessageID}, true, nil
}

// Channel returns the state of one channel; false when none was committed.
func (s *Store) Channel(id int64) (ChannelState, bool, error) {
	done, err := s.use()
	if err != nil {
		return ChannelState{}, false, err
	}
	defer done()
	v, err := s.get(channelKey(id))
	if errors.Is(err, ErrNotFound) {
		return ChannelState{}, false, nil
	}
	if err != nil {
		return ChannelState{}, false, fmt.Errorf("channel %d: %w", id, err)
	}
	ch, err := decodeChannel(id, v)
	if err != nil {
		return ChannelState{}, false, err
	}
	return ch, true, nil
}

// Channels returns the states of all channels, ordered by id.
func (s *Store) Channels() ([]ChannelState, error) {
	done, err := s.use()
	if err != nil {
		return nil, err
	}
	defer done()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixChannel}, UpperBound: prefixUpper(prefixChannel)})
	if err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	var out []ChannelState
	for ok := it.First(); ok; ok = it.Next() {
		ch, err := decodeChannel(int64(binary.BigEndian.Uint64(it.Key()[1:])), it.Value())
		if err != nil {
			_ = it.Close()
			return nil, err
		}
		out = append(out, ch)
	}
	if err := closeIter(it); err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	return out, nil
}

func decodeChannel(id int64, v []byte) (ChannelState, error) {
	var d diskChannelState
	if err := json.Unmarshal(v, &d); err != nil {
		return ChannelState{}, fmt.Errorf("channel %d: %w: %w", id, ErrCorrupt, err)
	}
	return ChannelState{ID: id, Pts: d.Pts, MaxMessageID: d.MaxMessageID, AccessHash: d.AccessHash}, nil
}

// MessagePeer resolves a private or basic-group message id to its chat from
// the bounded index. It returns false when the id is unknown or older than
// the index keeps; read errors are logged and also return false.
func (s *Store) MessagePeer(msgID int) (schema.PeerRef, bool) {
	done, err := s.use()
	if err != nil {
		return schema.PeerRef{}, false
	}
	defer done()
	bound := int(s.indexMax.Load()) - s.opts.IndexSize
	if msgID <= 0 || msgID <= bound {
		return schema.PeerRef{}, false
	}
	v, err := s.get(indexKey(msgID))
	if errors.Is(err, ErrNotFound) {
		return schema.PeerRef{}, false
	}
	if err == nil {
		var ref schema.PeerRef
		if ref, err = decodeRef(v); err == nil {
			return ref, true
		}
	}
	s.log.Error("message index lookup failed", slog.Int("message_id", msgID), slog.Any("error", err))
	return schema.PeerRef{}, false
}

// Peer returns the stored peer, or ErrNotFound.
func (s *Store) Peer(ref schema.PeerRef) (Peer, error) {
	done, err := s.use()
	if err != nil {
		return Peer{}, err
	}
	defer done()
	return s.peer(ref)
}

func (s *Store) peer(ref schema.PeerRef) (Peer, error) {
	key, err := peerKey(ref)
	if err != nil {
		return Peer{}, fmt.Errorf("peer %s: %w", ref, err)
	}
	p, found, err := readPeer(s.db, key)
	if err != nil {
		return Peer{}, fmt.Errorf("peer %s: %w", ref, err)
	}
	if !found {
		return Peer{}, fmt.Errorf("peer %s: %w", ref, ErrNotFound)
	}
	return p, nil
}

// PeerByUsername returns the peer that currently has username (compared
// case-insensitively, without a leading "@"), or ErrNotFound.
func (s *Store) PeerByUsername(username string) (Peer, error) {
	done, err := s.use()
	if err != nil {
		return Peer{}, err
	}
	defer done()
	name := strings.ToLower(strings.TrimPrefix(username, "@"))
	if name == "" {
		return Peer{}, fmt.Errorf("peer @%s: %w", username, ErrNotFound)
	}
	v, err := s.get(usernameKey(name))
	if err != nil {
		return Peer{}, fmt.Errorf("peer @%s: %w", username, err)
	}
	ref, err := decodeRef(v)
	if err != nil {
		return Peer{}, fmt.Errorf("peer @%s: %w", username, err)
	}
	p, err := s.peer(ref)
	if err != nil {
		return Peer{}, fmt.Errorf("peer @%s: %w", username, err)
	}
	if !strings.EqualFold(p.Username, name) { // stale entry: the name moved on
		return Peer{}, fmt.Errorf("peer @%s: %w", username, ErrNotFound)
	}
	return p, nil
}

// PollMessage returns the chat and message a poll was first seen in
// (Commit.Polls). It returns false when the poll is unknown; read errors
// are logged and also return false.
func (s *Store) PollMessage(pollID int64) (schema.PeerRef, int, bool) {
	done, err := s.use()
	if err != nil {
		return schema.PeerRef{}, 0, false
	}
	defer done()
	v, err := s.get(pollKey(pollID))
	if errors.Is(err, ErrNotFound) {
		return schema.PeerRef{}, 0, false
	}
	if err == nil && len(v) != 17 {
		err = fmt.Errorf("%w: poll link of %d bytes", ErrCorrupt, len(v))
	}
	if err == nil {
		var ref schema.PeerRef
		if ref, err = decodeRef(v[:9]); err == nil {
			return ref, int(binary.BigEndian.Uint64(v[9:])), true
		}
	}
	s.log.Error("poll link lookup failed", slog.Int64("poll_id", pollID), slog.Any("error", err))
	return schema.PeerRef{}, 0, false
}

// WebPageMessages returns the messages linked to web page id (Commit.
// WebPages), in key order. Read errors are logged and end the list.
func (s *Store) WebPageMessages(pageID int64) []WebPageEntry {
	done, err := s.use()
	if err != nil {
		return nil
	}
	defer done()
	lower := key8(prefixWebPage, uint64(pageID))
	upper := key8(prefixWebPage, uint64(pageID)+1)
	if uint64(pageID) == ^uint64(0) {
		upper = prefixUpper(prefixWebPage)
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		s.log.Error("web page link lookup failed", slog.Int64("web_page_id", pageID), slog.Any("error", err))
		return nil
	}
	var out []WebPageEntry
	for ok := it.First(); ok; ok = it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) != webPageKeyLen || len(v) <= 8 {
			err = fmt.Errorf("%w: web page link of %d+%d bytes", ErrCorrupt, len(k), len(v))
			break
		}
		ref, derr := decodeRef(k[9:18])
		if derr != nil {
			err = derr
			break
		}
		out = append(out, WebPageEntry{
			WebPageID: pageID,
			Peer:      ref,
			MessageID: int(binary.BigEndian.Uint64(k[18:])),
			Message:   bytes.Clone(v[8:]),
		})
	}
	if cerr := closeIter(it); err == nil {
		err = cerr
	}
	if err != nil {
		s.log.Error("web page link lookup failed", slog.Int64("web_page_id", pageID), slog.Any("error", err))
	}
	return out
}
