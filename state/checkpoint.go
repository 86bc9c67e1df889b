package state

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/cockroachdb/pebble"
)

// CheckpointIndexSize bounds the message-id index entries a checkpoint
// carries (the newest ones), so that it fits a NATS message.
const CheckpointIndexSize = 10_000

// CheckpointWebPageBytes bounds the web page links a checkpoint carries
// (keys and values, the newest links first), for the same reason: each
// holds a message's body.
const CheckpointWebPageBytes = 128 << 10

// Checkpoint formats: the magic, whose last byte is the format version.
// Format 2 is
//
//	magic, then (sealed when the store has a key) uvarint stream seq + body
//
// where body is a sequence of uvarint-length-prefixed keys and values.
var (
	checkpointMagic   = []byte("TGCK\x02")
	checkpointMagicV1 = []byte("TGCK\x01")
)

// checkpointPurpose starts the additional data of a sealed checkpoint; the
// account name follows it.
const checkpointPurpose = "tgnats checkpoint\x00"

// checkpointMaxDateSkew is how far in the future a checkpoint's update
// date may be before it is refused.
const checkpointMaxDateSkew = 24 * time.Hour

// checkpointPrefixes are the key families a checkpoint carries: everything
// but the outbox, its seq counter, command results and the format version.
var checkpointPrefixes = []byte{prefixSession, prefixUpdate, prefixChannel, prefixPeer, prefixUsername, prefixIndex, prefixPoll, prefixWebPage}

func (s *Store) checkpointAD() []byte { return []byte(checkpointPurpose + s.opts.Account) }

// ExportCheckpoint returns a consistent snapshot of the account's position
// (session, update state, channel states, peers, username index and the
// newest CheckpointIndexSize message-index entries, poll links, the newest CheckpointWebPageBytes of web page links) with the highest
// outbox seq assigned when it was taken (UpTo). The snapshot is only as far
// as the events durable in JetStream once OutboxAckedThrough(UpTo) reports
// true: a caller must not seal and publish it before. Before the first
// update state is committed there is nothing to take over from: it fails
// with ErrNotFound.
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
		if p == prefixWebPage {
			body, err = appendWebPages(body, it)
			if err != nil {
				return Checkpoint{}, fmt.Errorf("export checkpoint: %w", err)
			}
			continue
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
	return Checkpoint{UpTo: upTo, Digest: sha256.Sum256(body), body: body}, nil
}

// appendWebPages appends the web page links of it to body, the newest
// within CheckpointWebPageBytes, in key order, and closes it.
func appendWebPages(body []byte, it *pebble.Iterator) ([]byte, error) {
	type kv struct{ k, v []byte }
	var all []kv
	for ok := it.First(); ok; ok = it.Next() {
		all = append(all, kv{bytes.Clone(it.Key()), bytes.Clone(it.Value())})
	}
	if err := closeIter(it); err != nil {
		return nil, err
	}
	added := func(e kv) uint64 {
		if len(e.v) < 8 {
			return 0
		}
		return binary.BigEndian.Uint64(e.v)
	}
	slices.SortStableFunc(all, func(a, b kv) int { return cmp.Compare(added(b), added(a)) })
	n, size := 0, 0
	for ; n < len(all) && size+len(all[n].k)+len(all[n].v) <= CheckpointWebPageBytes; n++ {
		size += len(all[n].k) + len(all[n].v)
	}
	kept := all[:n]
	slices.SortFunc(kept, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
	for _, e := range kept {
		body = binary.AppendUvarint(body, uint64(len(e.k)))
		body = append(body, e.k...)
		body = binary.AppendUvarint(body, uint64(len(e.v)))
		body = append(body, e.v...)
	}
	return body, nil
}

// Checkpoint is an exported snapshot of an account's position, not yet
// sealed (see SealCheckpoint).
type Checkpoint struct {
	// UpTo is the highest outbox seq assigned when the snapshot was taken.
	UpTo uint64
	// Digest identifies the content (before sealing): equal digests, same state.
	Digest [32]byte
	body   []byte
}

// SealCheckpoint returns what ImportCheckpoint restores: cp bound to
// streamSeq, the last sequence of the events stream once every event of cp
// is in it (after OutboxAckedThrough(cp.UpTo)), sealed with AES-256-GCM
// under the store's key with the account name as additional data when a
// key is configured. A restore refuses it while the stream ends before
// streamSeq.
func (s *Store) SealCheckpoint(cp Checkpoint, streamSeq uint64) ([]byte, error) {
	if cp.body == nil {
		return nil, fmt.Errorf("seal checkpoint: %w: empty checkpoint", ErrInvalid)
	}
	payload := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+len(cp.body)), streamSeq)
	payload = append(payload, cp.body...)
	out := bytes.Clone(checkpointMagic)
	if s.aead == nil {
		return append(out, payload...), nil
	}
	sealed, err := s.aead.seal(s.checkpointAD(), payload)
	if err != nil {
		return nil, fmt.Errorf("seal checkpoint: %w", err)
	}
	return append(out, sealed...), nil
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

// ImportCheckpoint restores a checkpoint made by SealCheckpoint when it is
// ahead of the store: the store has no update state, or the checkpoint's
// common pts, qts or date is higher. It then replaces session, update
// state, channel states, peers and message index in one synced batch; the
// outbox and command results are kept. It reports whether it restored.
//
// streamLast is the last sequence of the events stream now. A checkpoint
// is refused (ErrRefused, nothing changed) when the store has a key and
// the checkpoint is not sealed, when it was sealed under another key or
// for another account (also ErrWrongKey), when it claims a stream sequence
// beyond streamLast (its events are not in the stream), and when its update
// state is out of Telegram's ranges. A checkpoint of format 1 is not
// restored (ErrOldCheckpoint). A sealed checkpoint without a key fails with
// ErrWrongKey; a malformed one with ErrCorrupt.
func (s *Store) ImportCheckpoint(data []byte, streamLast uint64) (bool, error) {
	if bytes.HasPrefix(data, checkpointMagicV1) {
		return false, fmt.Errorf("import checkpoint: %w: format 1, which is not bound to the account and the stream", ErrOldCheckpoint)
	}
	payload, ok := bytes.CutPrefix(data, checkpointMagic)
	if !ok {
		return false, fmt.Errorf("import checkpoint: %w: unknown format", ErrCorrupt)
	}
	switch {
	case isSealed(payload):
		var err error
		if payload, err = s.aead.open(s.checkpointAD(), payload); err != nil {
			if errors.Is(err, ErrWrongKey) {
				return false, fmt.Errorf("import checkpoint: %w: not sealed for account %q under this key: %w", ErrRefused, s.opts.Account, err)
			}
			return false, fmt.Errorf("import checkpoint: %w", err)
		}
	case s.aead != nil:
		return false, fmt.Errorf("import checkpoint: %w: not sealed, and this store has a key: anyone who can write the checkpoint could have made it", ErrRefused)
	}
	streamSeq, n := binary.Uvarint(payload)
	if n <= 0 {
		return false, fmt.Errorf("import checkpoint: %w: stream sequence", ErrCorrupt)
	}
	if streamSeq > streamLast {
		return false, fmt.Errorf("import checkpoint: %w: it follows the events stream up to sequence %d, but the stream ends at %d", ErrRefused, streamSeq, streamLast)
	}
	body := payload[n:]
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
		if !checkpointKey(e[0]) {
			return false, fmt.Errorf("import checkpoint: %w: unexpected key %q", ErrCorrupt, e[0])
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
	if err := s.plausible(theirs); err != nil {
		return false, fmt.Errorf("import checkpoint: %w: %w", ErrRefused, err)
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

// plausible checks an imported update state against Telegram's ranges:
// pts, qts and seq are non-negative int32s, the date not in the future.
func (s *Store) plausible(u diskUpdateState) error {
	for _, f := range []struct {
		name string
		v    int64
	}{{"pts", int64(u.Pts)}, {"qts", int64(u.Qts)}, {"seq", int64(u.Seq)}, {"date", int64(u.Date)}, {"max message id", int64(u.MaxMessageID)}} {
		if f.v < 0 || f.v > math.MaxInt32 {
			return fmt.Errorf("update state %s %d is outside Telegram's range", f.name, f.v)
		}
	}
	if d := time.Unix(int64(u.Date), 0); d.After(s.opts.Now().Add(checkpointMaxDateSkew)) {
		return fmt.Errorf("update state date %s is in the future", d.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkpointKey reports whether k has the shape of a key of a family a
// checkpoint carries (see keys.go): a restored key of another length would
// be read out of range later.
func checkpointKey(k []byte) bool {
	if len(k) == 0 {
		return false
	}
	switch k[0] {
	case prefixSession, prefixUpdate:
		return len(k) == 1
	case prefixChannel, prefixIndex, prefixPoll:
		return len(k) == 9
	case prefixWebPage:
		return len(k) == webPageKeyLen
	case prefixPeer:
		return len(k) == 10 && k[1] >= codeUser && k[1] <= codeChannel
	case prefixUsername:
		return len(k) > 1
	}
	return false
}
