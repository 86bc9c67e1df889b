// Package state is the durable state of one Telegram account, kept in one
// Pebble database per account under the data directory (DESIGN.md §6).
//
// # Contract
//
//   - Commit writes the outbox records, the update state, channel states,
//     message-index entries and peers of one change in a single Pebble batch,
//     synced to disk before it returns. An update position is therefore never
//     durable without every event derived from it: the invariant tgnats rests on.
//   - Outbox records get strictly increasing seqs (big-endian keys, so key
//     order is seq order); the counter is recovered on Open from the last key
//     and a high-water mark written by each Commit, so a seq is never reused,
//     even after the outbox was drained. OutboxRead returns them in seq
//     order, starting at the oldest live record (kept in memory, so reads and
//     acks never walk the tombstones of earlier deletes). OutboxAck deletes
//     them without a sync and without the lock Commit takes: a delete is
//     durable with the next synced write (a Commit, or OutboxSync). Between
//     a publish and its durable delete a crash republishes the record:
//     delivery downstream of the outbox is at-least-once, made exactly-once
//     by JetStream's Nats-Msg-Id duplicate window.
//   - The session is written in one synced write, sealed with AES-256-GCM
//     (random nonce, the storage key as additional data) when a key is
//     configured. Sealed values start with a magic prefix, so a sealed
//     session read without a key or with the wrong key fails with ErrWrongKey
//     instead of being handed to gotd as garbage. A plain session found while a
//     key is configured (encryption turned on later) is returned as is and
//     sealed by the next StoreSession; until Pebble compacts, the old plain
//     bytes may remain in its files. Rekey re-seals the session with a new
//     key (or seals a plain one) and compacts the session's key range, so
//     the old value leaves Pebble's tables.
//   - One Store per directory: Open takes an exclusive lock (flock on
//     "tgnats.lock", plus Pebble's own LOCK) and fails with ErrLocked when
//     another process or another Open in this process holds it. The
//     directory is created 0700 and Pebble's files 0600; the permissions of
//     an existing directory are left to the config layer.
//   - A format-version key is written on first Open. An unknown version fails
//     Open with ErrVersion naming the version found and the one supported;
//     older versions are upgraded by the migrations table, each in one batch.
//   - ExportCheckpoint snapshots the account's position (session, update
//     and channel state, peers, the newest CheckpointIndexSize index entries,
//     poll links) consistently with the outbox seq counter; SealCheckpoint binds it to
//     the events stream's last sequence and seals it as a whole with the
//     store's key, the account name as additional data. ImportCheckpoint
//     restores it in one batch when it is ahead of the store, keeping the
//     outbox. A store with a key refuses (ErrRefused) a checkpoint that is
//     not sealed and authenticated under that key for this account; every
//     store refuses one that claims a stream sequence beyond the stream's
//     end or update state outside Telegram's ranges. Sealing a checkpoint
//     before OutboxAckedThrough(upTo) would put the position ahead of
//     JetStream.
//
// # Limits
//
//   - Commits are serialised: one writer at a time, each paying an fsync
//     (Options.NoSync drops it, for tests and benchmarks only).
//   - The message-id → peer index keeps the newest Options.IndexSize ids:
//     entries at or below newest-IndexSize are evicted and lookups of them
//     report unknown. It relies on private/basic-group message ids rising per
//     account; channel messages are not indexed (their peer is always known).
//   - Peers: a min peer never overwrites a stored non-min access hash, and a
//     zero access hash never overwrites a known one; names are always taken
//     from the newest sighting. The username index follows renames; a name
//     taken over by another peer resolves to the new owner.
//   - Command results expire by Options.Now: Result hides expired entries,
//     DeleteExpiredResults reclaims their space.
//   - A full disk (ENOSPC on a write) pauses the store: the write is
//     retried every Options.DiskFullRetry until space is freed, so Commit
//     and OutboxAck wait instead of failing, and DiskFull reports the pause
//     (readiness and a metric follow it). At Open a full disk fails with
//     ErrNotWritable instead.
//   - If Pebble reports a fatal error (a failed fsync, a write failing for
//     another reason, a broken invariant, or a paused write released by
//     Close) it is logged as one error line and the process exits with
//     status 1: Pebble cannot continue safely, and carrying on could lose
//     events. Nothing acknowledged is lost: a commit that did not reach the
//     disk was never acknowledged.
//
// # Keys
//
// Every key starts with one prefix byte:
//
//	V                      format version, uint32 big-endian
//	S                      gotd session (sealed when a key is set)
//	U                      update state (pts, qts, seq, date, max message id), JSON
//	C + be64(channel id)   channel state (pts, max message id, access hash), JSON
//	P + kind + be64(id)    peer (access hash, names, flags), JSON; kind 1 user, 2 chat, 3 channel
//	N + lower(username)    username index → kind + be64(id)
//	O + be64(seq)          outbox record, length-prefixed binary (see codec.go)
//	Q                      last outbox seq assigned, be64
//	M + be64(message id)   message index → kind + be64(id)
//	L + be64(poll id)      poll link → kind + be64(chat id) + be64(message id), the first message the poll was seen in
//	W + be64(page id) + kind + be64(chat id) + be64(message id)
//	                       web page link → be64(added, unix ns) + message JSON: a message showing a pending preview (bounded: WebPageLinkTTL, WebPageLinkLimit)
//	R + command key        command result: be64(expiry, unix ns) + value
package state
