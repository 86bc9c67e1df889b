package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble"
)

// CheckpointIndexSize bounds the message-id index entries a checkpoint
// carries (the newest ones), so that it fits a NATS message.
const CheckpointIndexSize = 10_000

// checkpointMagic starts every checkpoint; the byte after it is the format.
var checkpointMagic = []byte("TGCK\x01")

// checkpointAD is the additional data of a sealed checkpoint body.
var checkpointAD = []byte("checkpoint")

// checkpointPrefixes are the key families a checkpoint carries: everything
// but the outbox, its seq counter, command results and the format version.
var checkpointPrefixes = []byte{prefixSession, prefixUpdate, prefixChannel, prefixPeer, prefixUsername, prefixIndex}

// ExportCheckpoint returns a consistent snapshot of the account's position
// (session, update state, channel states, peers, username index and the
// newest CheckpointIndexSize message-index entries), sealed with the
// store's key when one is configured, with the highest outbox seq assigned
// when it was taken (UpTo). The snapshot is only as far as the events durable in
// JetStream once OutboxAckedThrough(UpTo) reports true: a caller must not
// publish it before. Before the first update state is committed there is
// nothing to take over from: it fails with ErrNotFound.
func (s *Store) ExportCheckpoint() (Checkpoint, error) {
	done, err := s.use()
	if err != nil {
		return Checkpoint{}, err
	}
	defer done()
	// Commit assigns seqs and writes under writeMu: the snapshot and the
	// seq counter taken together agree.
	s.writeMu.Lock()
	snap := s.db.NewSnapshot()
	upTo := s.nextSeq - 1
	s.writeMu.Unlock()
	defer snap.Close()
	if _, err := getFrom(snap, keyUpdate); err != nil {
		// ErrNotFound: nothing to take over from yet.
		return Checkpoint{}, fmt.Errorf("export checkpoint: %w", err)
	}

	var body []byte
	for _, p := range checkpointPrefixes {
		it, err := snap.NewIter(&pebble.IterOptions{LowerBound: []byte{p}, UpperBound: prefixUpper(p)})
		if err != nil {
			return Checkpoint{}, fmt.Errorf("export checkpoint: %w", err)
		}
		ok := it.First()
		if p == prefixIndex && it.Last() {
			newest := binary.BigEndian.Uint64(it.Key()[1:])
			ok = it.SeekGE(indexKey(int(max(int64(newest)-CheckpointIndexSize, 0)) + 1))
		}
		for ; ok; ok = it.Next() {
			body = binary.AppendUvarint(body, uint64(len(it.Key())))
			body = append(body, it.Key()...)
			body = binary.AppendUvarint(body, uint64(len(it.Value())))
			body = append(body, it.Value()...)
		}
		if err := closeIter(it); err != nil {
			return Checkpoint{}, fmt.Errorf("export checkpoint: %w", err)
		}
	}
	cp := Checkpoint{UpTo: upTo, Digest: sha256.Sum256(body), Data: bytes.Clone(checkpointMagic)}
	if s.aead != nil {
		sealed, err := s.aead.seal(checkpointAD, body)
		if err != nil {
			return Checkpoint{}, fmt.Errorf("export checkpoint: %w", err)
		}
		cp.Data = append(cp.Data, sealed...)
		return cp, nil
	}
	cp.Data = append(cp.Data, body...)
	return cp, nil
}

// Checkpoint is an exported snapshot of an account's position.
type Checkpoint struct {
	// Data is what ImportCheckpoint restores, sealed when the store has a key.
	Data []byte
	// UpTo is the highest outbox seq assigned when the snapshot was taken.
	UpTo uint64
	// Digest identifies the content (before sealing): equal digests, same state.
	Digest [32]byte
}

// OutboxAckedThrough reports whether every outbox record with a seq at or
// below seq has been acknowledged (deleted).
func (s *Store) OutboxAckedThrough(seq uint64) bool {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.depth == 0 || s.oldestSeq > seq
}

// Sealed reports whether the store seals credentials (a key is configured).
func (s *Store) Sealed() bool { return s.aead != nil }

// ImportCheckpoint restores a checkpoint made by ExportCheckpoint (with the
// same key) when it is ahead of the store: the store has no update state,
// or the checkpoint's common pts, qts or date is higher. It then replaces
// session, update state, channel states, peers and message index in one
// synced batch; the outbox and command results are kept. It reports
// whether it restored. A sealed checkpoint without the key, or with another,
// fails with ErrWrongKey; a malformed one with ErrCorrupt.
func (s *Store) ImportCheckpoint(data []byte) (bool, error) {
	body, ok := bytes.CutPrefix(data, checkpointMagic)
	if !ok {
		return false, fmt.Errorf("import checkpoint: %w: unknown format", ErrCorrupt)
	}
	if isSealed(body) {
		var err error
		if body, err = s.aead.open(checkpointAD, body); err != nil {
			return false, fmt.Errorf("import checkpoint: %w", err)
		}
	}
	type kv struct{ k, v []byte }
	var kvs []kv
	var upd []byte
	for len(body) > 0 {
		var e [2][]byte
		for i := range e {
			n, w := binary.Uvarint(body)
			if w <= 0 || uint64(len(body)-w) < n {
				return false, fmt.Errorf("import checkpoint: %w: truncated", ErrCorrupt)
			}
			e[i], body = body[w:w+int(n)], body[w+int(n):]
		}
		if len(e[0]) == 0 || bytes.IndexByte(checkpointPrefixes, e[0][0]) < 0 {
			return false, fmt.Errorf("import checkpoint: %w: unexpected key", ErrCorrupt)
		}
		if bytes.Equal(e[0], keyUpdate) {
			upd = e[1]
		}
		kvs = append(kvs, kv{e[0], e[1]})
	}
	if upd == nil {
		return false, fmt.Errorf("import checkpoint: %w: no update state", ErrCorrupt)
	}
	var theirs diskUpdateState
	if err := json.Unmarshal(upd, &theirs); err != nil {
		return false, fmt.Errorf("import checkpoint: %w: %w", ErrCorrupt, err)
	}

	done, err := s.use()
	if err != nil {
		return false, err
	}
	defer done()
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	mine, err := s.get(keyUpdate)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return false, fmt.Errorf("import checkpoint: %w", err)
	default:
		var d diskUpdateState
		if err := json.Unmarshal(mine, &d); err != nil {
			return false, fmt.Errorf("import checkpoint: %w: %w", ErrCorrupt, err)
		}
		if theirs.Pts <= d.Pts && theirs.Qts <= d.Qts && theirs.Date <= d.Date {
			return false, nil
		}
	}
	b := s.db.NewBatch()
	defer b.Close()
	for _, p := range checkpointPrefixes {
		if err := b.DeleteRange([]byte{p}, prefixUpper(p), nil); err != nil {
			return false, fmt.Errorf("import checkpoint: %w", err)
		}
	}
	indexMin, indexMax := uint64(0), uint64(0)
	for _, e := range kvs {
		if err := b.Set(e.k, e.v, nil); err != nil {
			return false, fmt.Errorf("import checkpoint: %w", err)
		}
		if e.k[0] == prefixIndex && len(e.k) == 9 {
			id := binary.BigEndian.Uint64(e.k[1:])
			if indexMin == 0 {
				indexMin = id
			}
			indexMax = max(indexMax, id)
		}
	}
	if err := b.Commit(s.sync); err != nil {
		return false, fmt.Errorf("import checkpoint: %w", err)
	}
	s.indexMax.Store(int64(indexMax))
	s.indexGone = int(max(indexMin, 1) - 1)
	return true, nil
}
