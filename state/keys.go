package state

import (
	"encoding/binary"
	"fmt"

	"github.com/tgnats/tgnats/schema"
)

// Key prefixes: one byte each, listed in doc.go. Never reuse a byte for a
// different meaning; a new kind of record takes a new byte (and, if old data
// must change, a format version and a migration).
const (
	prefixVersion  byte = 'V' // "V" → uint32 format version
	prefixSession  byte = 'S' // "S" → gotd session blob (sealed when a key is set)
	prefixUpdate   byte = 'U' // "U" → UpdateState (JSON)
	prefixChannel  byte = 'C' // "C" + be64(channel id) → ChannelState (JSON)
	prefixPeer     byte = 'P' // "P" + kind code + be64(id) → Peer (JSON)
	prefixUsername byte = 'N' // "N" + lower(username) → peer ref
	prefixOutbox   byte = 'O' // "O" + be64(seq) → outbox record (binary)
	prefixSeq      byte = 'Q' // "Q" → be64(last seq assigned), so seqs never repeat once acked
	prefixIndex    byte = 'M' // "M" + be64(message id) → peer ref
	prefixResult   byte = 'R' // "R" + key → be64(expiry unix ns) + value
	prefixPoll     byte = 'L' // "L" + be64(poll id) → peer ref + be64(message id)
	prefixWebPage  byte = 'W' // "W" + be64(web page id) + peer ref + be64(message id) → be64(added unix ns) + message JSON
)

var (
	keyVersion = []byte{prefixVersion}
	keySession = []byte{prefixSession}
	keyUpdate  = []byte{prefixUpdate}
	keySeq     = []byte{prefixSeq}
)

func key8(prefix byte, v uint64) []byte {
	k := make([]byte, 9)
	k[0] = prefix
	binary.BigEndian.PutUint64(k[1:], v)
	return k
}

func channelKey(id int64) []byte  { return key8(prefixChannel, uint64(id)) }
func outboxKey(seq uint64) []byte { return key8(prefixOutbox, seq) }
func indexKey(msgID int) []byte   { return key8(prefixIndex, uint64(msgID)) }
func pollKey(pollID int64) []byte { return key8(prefixPoll, uint64(pollID)) }

// webPageKey is the key of a web page link; ref is an encoded peer ref.
func webPageKey(pageID int64, ref []byte, msgID int) []byte {
	k := key8(prefixWebPage, uint64(pageID))
	k = append(k, ref...)
	return binary.BigEndian.AppendUint64(k, uint64(msgID))
}

// webPageKeyLen is the length of a web page link's key.
const webPageKeyLen = 1 + 8 + 9 + 8

func usernameKey(lower string) []byte { return append([]byte{prefixUsername}, lower...) }
func resultKey(key string) []byte     { return append([]byte{prefixResult}, key...) }

func peerKey(ref schema.PeerRef) ([]byte, error) {
	v, err := encodeRef(ref)
	if err != nil {
		return nil, err
	}
	return append([]byte{prefixPeer}, v...), nil
}

// prefixUpper returns the exclusive upper bound of all keys starting with p.
func prefixUpper(p byte) []byte { return []byte{p + 1} }

// Peer kinds as one byte, in keys and in index values.
const (
	codeUser    byte = 1
	codeChat    byte = 2
	codeChannel byte = 3
)

// encodeRef encodes a peer ref as kind code + be64(id): 9 bytes.
func encodeRef(ref schema.PeerRef) ([]byte, error) {
	var c byte
	switch ref.Kind {
	case schema.PeerUser:
		c = codeUser
	case schema.PeerChat:
		c = codeChat
	case schema.PeerChannel:
		c = codeChannel
	default:
		return nil, fmt.Errorf("%w: peer kind %q", ErrInvalid, ref.Kind)
	}
	if ref.ID <= 0 {
		return nil, fmt.Errorf("%w: peer id %d", ErrInvalid, ref.ID)
	}
	b := make([]byte, 9)
	b[0] = c
	binary.BigEndian.PutUint64(b[1:], uint64(ref.ID))
	return b, nil
}

func decodeRef(b []byte) (schema.PeerRef, error) {
	if len(b) != 9 {
		return schema.PeerRef{}, fmt.Errorf("%w: peer ref of %d bytes", ErrCorrupt, len(b))
	}
	ref := schema.PeerRef{ID: int64(binary.BigEndian.Uint64(b[1:]))}
	switch b[0] {
	case codeUser:
		ref.Kind = schema.PeerUser
	case codeChat:
		ref.Kind = schema.PeerChat
	case codeChannel:
		ref.Kind = schema.PeerChannel
	default:
		return schema.PeerRef{}, fmt.Errorf("%w: peer kind code %d", ErrCorrupt, b[0])
	}
	return ref, nil
}
