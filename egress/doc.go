// Package egress executes commands on Telegram for one account
// (DESIGN.md §2, §5): JSON bodies arriving on the JetStream work queue
// tg.<account>.commands.<name> (stream TG_<ACCOUNT>_COMMANDS, durable
// consumer tgnats-egress) or as requests to the micro service
// tgnats-<account> on tg.<account>.rpc.<name>, where <name> is a command
// name of schema's registry (message.send, …; the "action" of results and
// of the metrics label).
//
// # Dispatch
//
// handlers (actions.go) maps each command name to the method that executes
// its body; a test fails when a command of the registry has no handler.
// Every Telegram call goes through invoke (call.go), which runs it under
// the rate limits and FLOOD_WAIT handling of call and returns its answer;
// sends read their message ids with sendResult (sent.go).
//
// # Contract
//
//   - Every command gets one result (schema.CommandResult): the reply of an
//     rpc request, and a command.completed / command.failed event written
//     to the outbox through Store.Commit, with the deterministic id
//     "<account>:command:<command_id>:<completed|failed>".
//   - Steps: parse and validate (INVALID_ARGUMENT, UNKNOWN_ACTION), the
//     allow list (NOT_ALLOWED), idempotency, peer resolution (the peer
//     store; for a username contacts.resolveUsername; for an id without
//     an access hash users.getUsers / channels.getChannels with hash 0,
//     then a user account's first page of dialogs; answers are stored, an
//     id that does not resolve is remembered for 30s; PEER_NOT_FOUND),
//     rate limits, the Telegram call, error mapping.
//   - Idempotency key: the ce-id header, else Nats-Msg-Id. A command with a
//     key whose result is stored returns that result and calls nothing.
//     Results are stored (ResultTTL, 24h by default) once Telegram was
//     called and the answer is lasting: FLOOD_WAIT, TIMEOUT and NOT_ALLOWED
//     are not stored, so the same key may try again. The event is written
//     before the result; a crash in between re-executes, which the
//     random_id (first 8 bytes of sha256(account+key); forwards add "/i"
//     for the i-th message) turns into RANDOM_ID_DUPLICATE, reported as
//     success with "duplicate": true.
//   - Rate limits: a global bucket and one per chat (golang.org/x/time/rate);
//     a call waits for its chat's slot first, then takes the global one, so
//     the global bucket counts calls when they are made.
//     FLOOD_WAIT pauses the chat (or everything, for calls about no chat)
//     for the time Telegram asks. A wait that ends within the command's
//     deadline is waited (a stream command in its lane's turn); one
//     beyond fails the command with FLOOD_WAIT and retry_after.
//   - Stream commands: failures are terminated (AckTerm), never redelivered;
//     the consumer's AckWait (Config.AckWait, twice DeadlinePerCommand by
//     default) is how long a command whose connector died stays unseen
//     before it is redelivered; transient failures (network, a
//     stored-state error, Telegram not connected yet) are retried in the
//     command's turn, as rpc ones are, until DeadlinePerCommand after that
//     turn began, then fail with TIMEOUT: the chat's later commands wait
//     meanwhile. Commands to one chat run in order, one lane per chat.
//   - Held stream commands (queued on their lane or executing, at most
//     Config.MaxPending, the consumer's MaxAckPending) get a progress ack
//     every AckWait/3, and a redelivery of a held command is dropped, so a
//     command waiting its turn runs once. MaxPending is large so that a
//     backlog in one chat does not keep other chats' commands from being
//     fetched: each chat proceeds at its own rate.
//   - Stopping (shutdown, lease loss): a stream command not yet sent to
//     Telegram, or whose call was cut off, is handed back with Nak, each
//     lane in order, and runs after the restart or on the replica that
//     takes over; commands the client had fetched but not handed over are
//     drained and handed back the same way. Rate-limit waits given up
//     return their slots.
//   - Integers of command bodies are checked against their TL range by
//     schema.ParseCommand before any call; invalid UTF-8 in texts is sent
//     as U+FFFD, one per byte, so entity offsets stay valid.
//   - The updates a call returns go to Config.Updates (the ingest engine),
//     so the outgoing message events and pts stay consistent; deletes and
//     reads answer only pts, which are handed on as synthesized
//     updateDeleteMessages / updateDeleteChannelMessages /
//     updateReadHistoryInbox inside a seq-less updates dated by Telegram's
//     clock (followed from the dates of its answers; the local clock until
//     the first one). The updateShortSentMessage Telegram answers private
//     text and media sends with is expanded into the updateNewMessage it
//     stands for, from the request.
//     The updates go with the command's traceparent (schema.WithTraceParent),
//     so the message events they cause carry it too.
//
// # Limits
//
//   - Without an idempotency key a command is at-least-once: a stream
//     redelivery after a lost answer may send twice.
//   - A backlog larger than MaxPending in one chat fills every slot again;
//     held commands are in memory (bodies included).
//   - An rpc request to an unknown command is answered UNKNOWN_ACTION by a
//     catch-all endpoint that sees (and ignores) every rpc request.
//   - Markdown is the legacy Bot API subset (*bold*, _italic_, `code`,
//     ```pre```, [text](url)); HTML uses gotd's parser. Uploads are sent
//     in 512 KiB parts, not rate limited, and bounded by MaxUploadBytes.
//   - The per-chat limiter table grows with the number of chats addressed.
//   - Peer lookups by id cannot reach what Telegram hides: a user a bot
//     never met, a channel the account is not in, a user account's
//     non-contact outside its 100 most recent dialogs (PEER_NOT_FOUND).
//     Unresolvable ids are remembered in memory (at most 4096, 30s each).
//
// # Client
//
// Client is the sending side for Go services: Do (rpc) and Submit (the
// stream, waiting for the command.completed/failed event) take a command
// body (schema.SendMessage, …, with peers from schema.PeerOf) and return
// its schema.CommandResult.
package egress
