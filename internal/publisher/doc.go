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
// Publishes are asynchronous, with up to Config.Window records read from
// the outbox and unacknowledged at a time, but at most one publish is in
// flight per chat. The chat is the partition key: the ce-partitionkey
// header, or else the last two subject tokens (<peer_kind>.<peer_id>).
// Pipelining two records of one chat would break the per-chat order
// promised by DESIGN.md §3: if record k failed (its ack timed out, or the
// connection dropped) while k+1, sent right behind it, was stored, the retry
// of k would land after k+1. By waiting for k's ack before sending k+1,
// the stream holds each chat's events in outbox order, whatever fails and
// is retried in between. Different chats proceed independently, so the
// window still pipelines when many chats are active; one very busy chat is
// limited to one round trip per event.
//
// Any failure pauses all dispatching for the backoff interval (100ms
// doubling up to 5s by default): failures are nearly always NATS-wide, and
// a pause keeps an outage from turning into a storm of retries.
//
// # Limits
//
// A subject no stream binds (the stream was deleted) is retried forever and
// blocks its chat, then the window, until the stream exists again: it may
// be recreated, so the publisher keeps the data.
// Exactly-once in the stream relies on the duplicate window being longer
// than any outage plus replay; a retry after it expires is stored twice.
// Run and Drain must not be called concurrently on one Publisher.
package publisher
