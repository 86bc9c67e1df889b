// Package ingest connects one Telegram account over MTProto and turns its
// updates into durable events.
//
// The heart of the package is Engine, an update-gap engine written from the
// official updates documentation (core.telegram.org/api/updates). It
// sequences the account's common box (pts, qts, seq) and every channel's pts,
// buffers out-of-order updates for a short gap timeout, and recovers what it
// missed with updates.getDifference and updates.getChannelDifference: on
// start, on a gap that does not fill, on updatesTooLong and after an idle
// period.
//
// # Guarantee
//
// An update's position (pts, qts, seq, date, channel pts) is stored only in
// the same synced Pebble batch as the outbox records of every event derived
// from it (state.Store.Commit). There is no instant at which the position is
// ahead of the events: a crash anywhere leaves either both or neither. On any
// failure (a failed commit, a transient RPC error) Engine.Run returns, and a
// new Engine resumes from the last durable position; what was pushed in the
// meantime is recovered by getDifference. Event ids are derived from the
// Telegram identity of the change (see schema.EventID), so an update seen
// twice yields the same id and JetStream's duplicate window drops the copy.
//
// # Accounts and logins
//
// Account logs a bot in by its token by itself. A user account is logged
// in by a person, once, with Login (phone, code, 2FA password through a
// Prompter, on gotd's auth.Flow) or LoginQR (a QR code scanned on a device
// already logged in, then the password if the account has one); the
// session lands in the store. Account.Run never logs a user in: without a
// session it stops with ErrLogin naming the command to run. A stored
// session that cannot be read (wrong encryption key) stops with
// ErrSessionUnreadable and is never replaced by a new login. Logins refuse
// to sign up (ErrSignUpRequired) and turn Telegram's answers into errors a
// person can act on (ErrCodeInvalid, ErrCodeExpired, ErrPasswordInvalid,
// FloodWaitError). Logout revokes the session with auth.logOut, then
// deletes it. Nothing secret (phone, code, password, auth key) is logged.
//
// # Limits
//
// When Telegram answers differenceTooLong or channelDifferenceTooLong, the
// engine backfills message creations (not edits or deletions) from message
// history up to Config.BackfillDepth and reports the rest as unrecoverable in
// its log and metrics. Two edits of one message within the same second share
// an edit date and therefore an event id; the second is dropped as a
// duplicate.
//
// Updates without pts or qts (updateBotCallbackQuery, a button press) are
// mapped where they arrive in the push order and committed with the batch
// they came in; they move no position. getDifference never returns them, so
// a press while the account is disconnected is lost on Telegram's side.
//
// gotd hands every inbound MTProto message to the update handler on a
// goroutine of its own, so pushes arrive in any order: Engine.Handle only
// queues them and the single Run loop orders them by pts. A ctx carrying
// a traceparent (schema.WithTraceParent, as egress does for the updates a
// command's call returns) gives it to the message events of those
// updates' messages; the last 4096 such messages are remembered, per
// connection.
package ingest
