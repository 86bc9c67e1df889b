// Package publisher drains one account's outbox into its JetStream stream
// (DESIGN.md §1 and §3).
//
// # Contract
//
// Records leave the outbox in sequence order and are deleted from it only
// after JetStream has acknowledged them (a stored message or a duplicate of
// one). Every record carries its CloudEvent id as Nats-Msg-Id, so a record
// published twice — after an ack timeout, a reconnect or a process restart
// — is stored once as long as the retry falls inside the stream's duplicate
// window. Nothing is dropped for a failure that may pass: a failed publish
// (timeout, no responders, no stream, disconnected) is retried with
// exponential backoff until it is acknowledged or the publisher is stopped,
// and while NATS is unreachable the outbox simply grows. A record JetStream
// can never store (larger than the server's max_payload or the stream's
// max_msg_size) is dropped from the outbox with an error log naming its id
// and a count in tgnats_publish_rejected_total, so that its chat goes on. A warning with the outbox depth and the age of its oldest
// record is logged at most every 30 seconds during an outage, and one info
// line when publishing recovers.
//
// # Ordering
//
// Where the server offers fast batch publishing (nats-server 2.14+, and a
// stream with allow_batched, which EnsureStream sets), the outbox is
// published in its own seq order as one long batch per run of records,
// up to Config.Window records unacknowledged, in "fail" gap mode: the
// server stores a batch's messages in batch order and stops the batch at
// the first message lost or refused, so what the stream holds of a batch
// is always a prefix of it. Its flow acks ("stored through n") and the
// final PubAck (the batch's count) tell which records to delete. When a
// batch ends short (a refused message, a gap after a reconnect, no answer
// within AckTimeout), the records not confirmed are sent again in a new
// batch, from the first one: Nats-Msg-Id drops those the old batch stored
// after all, and every chat keeps its order because a batch never stores a
// record without all the records before it. The batch is committed when
// the outbox has nothing more to send. A record the stream can never
// store is dropped (see Contract) and its batch goes on behind it.
//
// Without fast batches (an older server, a stream without allow_batched,
// a JetStream value without a connection, or Config.NoBatch), the
// publisher falls back to PublishMsgAsync with at most one publish in
// flight per chat, logged once per run. The chat is the partition key:
// the ce-partitionkey header, or else the last two subject tokens
// (<peer_kind>.<peer_id>). Pipelining two records of one chat would break
// the per-chat order: if record k failed while k+1, sent right behind it,
// was stored, the retry of k would land after k+1. Different chats
// proceed independently; one busy chat is limited to one round trip per
// event. tgnats_events_duplicate_total counts duplicates only in this mode
// (a fast batch does not report them one by one).
//
// Any failure pauses all dispatching for the backoff interval (100ms
// doubling up to 5s by default): failures are nearly always NATS-wide, and
// a pause keeps an outage from turning into a storm of retries.
//
// # Records that wait for a file
//
// A record with the schema.HeaderFileObject header names an object of the
// automatic download. When it is read, Config.Prepare is started for it
// on a goroutine; the record, and the records of its chat behind it, are
// not published until Prepare returns the record to publish (with the
// file stored, or rewritten without it). Other chats go on meanwhile, in
// a fast batch as without: their records are sent past it, and the record
// joins a later batch (per-chat order is what a batch must keep). The header
// is removed before publishing. A Run that ends cancels Prepare; the next
// Run prepares the record again.
//
// # Deletes
//
// Acknowledged records are deleted from the outbox by a goroutine of their
// own, in batches, so that publishing never waits for the store; the
// deletes are not synced one by one but at most once per second (and by
// the engine's next synced commit). A crash can therefore republish the
// records acknowledged in the last second or so; they fall far inside the
// stream's duplicate window and are dropped.
//
// # Limits
//
// A subject no stream binds (the stream was deleted) is retried forever and
// blocks its chat, then the window, until the stream exists again: it may
// be recreated, so the publisher keeps the data.
// Exactly-once in the stream relies on the duplicate window being longer
// than any outage plus replay; a retry after it expires is stored twice.
// A fast batch relies on the server failing the batch at its first refused
// message; a message refused only when it is written to disk (a disk
// error) while later ones are stored would break the prefix rule.
// Run and Drain must not be called concurrently on one Publisher.
package publisher
