// Package sim is a simulated Telegram that speaks real MTProto on loopback,
// built on gotd's tgtest server. A gotd telegram.Client (or the connector)
// logs in as a bot and sees Telegram's update bookkeeping: a common box per
// account (pts, qts, seq, date) for private chats and basic groups,
// and a pts per channel, with pushes in the forms Telegram uses
// (updateShortMessage, updateShortChatMessage, updates containers) and the
// difference RPCs that recover what a client missed.
//
// What it guarantees:
//
//   - Every change is recorded in a ledger, per account and in production
//     order, before it is pushed; the ledger is the ground truth end-to-end
//     tests compare a connector's output with. Everything in the ledger is
//     reachable through updates.getDifference / getChannelDifference
//     (messages deleted later are still returned as created in the range).
//   - With Config.Dir, each change is appended to a journal before any push,
//     so a killed process (kill -9, not power loss: there is no fsync) loses
//     nothing it reported; a restart with the same Dir and Accounts keeps the
//     world, pts, seq, message ids, ledger, RSA key and (when free) the port.
//   - Private and basic-group messages exist once per member account, each
//     copy with the account's own id and pts; edits get strictly increasing
//     edit dates, so each edit is a distinct version.
//
// Faults exercise a client's gap handling, all through one entry point,
// Inject (faults.go; Withhold, DuplicateNext, ReorderNext, PushTooLong,
// FloodWait, HoldReplies and ShortSentReplies are shortcuts), their state
// under one mutex (faultstate.go): qts updates, updatesCombined, lost and replayed
// containers (seq gaps, stale seq), a channel left (CHANNEL_PRIVATE) and
// rejoined, a channel with a long history joined late, pushed
// updateChannelTooLong, messageEmpty channel updates, quiet channels with
// a channel-difference timeout, and errors of any call (a refused
// getDifference, FLOOD_WAIT on difference calls). Scenario.Faults mixes
// them into generated traffic. Calls counts every served call by TL
// method, for tests of a client's start-up cost. User accounts list their
// dialogs with messages.getDialogs (each channel with its pts; bots are
// refused with BOT_METHOD_INVALID, as on Telegram); users.getUsers and
// channels.getChannels answer a bot's access_hash 0 for the users and
// channels it has met, userEmpty / CHANNEL_INVALID otherwise (api_peers.go;
// contacts, Telegram's exception for user accounts, are not simulated). For commands:
// HoldReplies lets calls of a method take effect without ever answering
// them (a client that dies before it learns the outcome), ShortSentReplies
// answers private text sends with updateShortSentMessage as Telegram does,
// Floods lists the FLOOD_WAIT answers given (with the call's peer), and
// Call.Served is each served call's wall-clock time, for rate checks.
//
// The served methods are one table (routes.go): a row binds a TL method to
// a handler of its typed request; decoding, authorization, the world lock
// and HoldReplies are shared, and a panicking handler answers 500 INTERNAL
// (logged) instead of stopping the simulator. Methods without a row answer
// as gotd's tgtest does for unimplemented ones.
//
// Bots act through the RPCs of the egress contract (messages.sendMessage,
// sendMedia, editMessage, deleteMessages, forwardMessages,
// updatePinnedMessage, sendReaction, setTyping, readHistory,
// setBotCallbackAnswer, setInlineBotResults, setBotPrecheckoutResults,
// setBotShippingResults, channels.deleteMessages / readHistory,
// upload.saveFilePart / saveBigFilePart, contacts.resolveUsername) with
// Telegram's validation errors. Their changes are recorded in the ledger
// like any other (From = the bot's user), journaled, and answered as
// tg.Updates carrying updateMessageID and the pts-carrying updates of the
// account's own box; those are pushed to the account's other sessions but
// not to the calling one, and carry seq 0. A reused random_id answers
// RANDOM_ID_DUPLICATE. ServedCalls lists the calls served, Message the state
// of a message, PressButton produces callback queries to answer, BotQuery
// the other bot queries (inline queries and sends, inline-button presses,
// pre-checkout and shipping queries: pushed live only, in the ledger as
// Live entries with the connector's event id; bot_world.go), and
// SetWriteForbidden a chat the bot may not write in (bots administer every
// chat by default).
//
// User accounts (Account.Phone) log in as on Telegram: auth.sendCode (the
// code is read with LoginCode, ExpireLoginCode ages it), auth.signIn,
// account.getPassword and auth.checkPassword with a real SRP-2048 check on
// the server side, QR login tokens (auth.exportLoginToken, accepted by
// AcceptLoginToken or auth.acceptLoginToken from a logged-in session, with
// an updateLoginToken push), auth.logOut, and FLOOD_WAIT on auth.sendCode
// for Account.LockedOut; see auth_user.go. A logged-in user gets updates
// as a bot does.
//
// Beyond messages (issue 12), every change is a ledger entry with the id
// the connector derives (LedgerEntry.Kind, Version): reactions
// (reaction_world.go; React, verb reaction.set) reach a bot as qts updates
// (updateBotMessageReaction, updateBotMessageReactions for broadcast
// posts) that getDifference replays, a user account as
// updateMessageReactions pushes (no difference replays them: Live ledger
// entries), the reacting account as its call's result; pins (Pin, verb message.pin, messages.updatePinnedMessage) as
// updatePinnedMessages / updatePinnedChannelMessages; read receipts of
// private chats and basic groups (read_world.go; Read, verb read,
// messages.readHistory) as updateReadHistoryInbox / Outbox in the
// account's box, also for bots, as a test vehicle; polls (poll_world.go;
// SendPoll and Vote, verbs poll.send and poll.vote), whose votes are told
// to the poll's creator: updateMessagePollVote (qts) to a bot and
// updateMessagePoll, pushed only (LedgerEntry.Live); channel read receipts
// (updateReadChannelInbox/Outbox, pushed only); chat and user changes
// (profile_world.go): channel renames and the account kicked or joined
// (updateChannel: the connector fetches the channel through
// channels.getChannels, which answers channelForbidden once kicked; their
// ledger entries are LedgerEntry.Snapshot), a basic group's member list
// (updateChatParticipants, SendMembers, pushed only), user phone, emoji
// status and profile changes (ChangeUser); link previews (webpage_world.go;
// Outgoing.Media "link" shows webPagePending, WebPageReady and verb
// webpage.ready complete it: updateWebPage / updateChannelWebPage, a
// message.edited per copy). Scenario.Updates mixes them into generated
// traffic.
//
// Limits: one DC (2; auth.importLoginToken is refused), no sign-up, files are
// only sizes and types (no download), channel and chat
// creation produce no service message (a channel starts at pts 1, empty).
// Pins produce no pin service message; read contents are not simulated; polls have one fixed question; reply markup and
// scheduled sends are not stored (bots get SCHEDULE_BOT_NOT_ALLOWED).
// Failed calls are not in ServedCalls. With Dir, auth keys persist
// (auth_keys.json, restored into gotd's tgtest server by reflection on
// its unexported session map): after a restart clients keep their key and
// login. The journal is snapshotted (snapshot.go); a torn last journal
// line is dropped, any other bad line (also an op no version writes, such
// as an edit without its message id) fails New with ErrCorrupt; each op
// kind has its own payload type (ops.go), in the journal format of every
// earlier version. Pushes
// go to the latest session of every connected auth key of the account; a
// push that cannot be delivered is dropped, as on Telegram. updates.getDifference
// reports every channel changed at or after the request's date as
// updateChannelTooLong, which may repeat channels the client is current on.
package sim
