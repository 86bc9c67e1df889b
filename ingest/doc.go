// Package ingest connects one Telegram account over MTProto and turns its
// updates into durable events.
//
// The heart of the package is Engine, an update-gap engine written from the
// official updates documentation (core.telegram.org/api/updates). It
// sequences the account's common box (pts, qts, seq) and every channel's pts
// with one sequence type (sequence.go), buffers out-of-order updates for a
// short gap timeout, and recovers what it missed with updates.getDifference
// and updates.getChannelDifference: on start and reconnect (getDifference
// only; channels with news come back as updateChannelTooLong), on a gap
// that does not fill, on updatesTooLong and after an idle period.
//
// # Guarantee
//
// An update's position (pts, qts, seq, date, channel pts) is stored only in
// the same synced Pebble batch as the outbox records of every event derived
// from it (state.Store.Commit). There is no instant at which the position is
// ahead of the events: a crash anywhere leaves either both or neither. On a
// failed commit or a failed getDifference Engine.Run returns, and a new
// Engine resumes from the last durable position; what was pushed in the
// meantime is recovered by getDifference. A channel's failed difference
// stops only that channel: a refusal (400/403/406) drops its buffered gap
// until the channel shows up again, a transient error (500, FLOOD_WAIT, the
// network) retries it alone with backoff (1s doubling, at most 5m, at least
// the flood wait). Event ids are derived from the
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
// # Event ids
//
// An event's id is schema.EventID(account, peer, message id, kind, action,
// version): "<account>:<peer_kind>:<peer_id>:<msg_id>:<kind>.<action>[:<version>]",
// the version omitted when 0. Creations and deletions have version 0; a
// callback query has its query id; an edit has schema.EditVersion:
// edit_date × 1 000 000 + (FNV-1a 64 of text, entities and media identity)
// mod 1 000 000. Two edits within one second (same edit_date, new content)
// get different ids; a replay of one edit keeps its id; an edit without
// edit_date (reactions or views changed) has the digest alone as version,
// below 1 000 000, so it never takes a real edit's id.
//
// # Limits
//
// When Telegram answers differenceTooLong or channelDifferenceTooLong, the
// engine backfills message creations (not edits or deletions) from message
// history up to Config.BackfillDepth and reports the rest as unrecoverable in
// its log and metrics.
//
// A channel the engine has no position for (just joined, or never active
// since the first start) is not read from its start as history. Its first
// pushes wait the reorder window (GapTimeout); joined live (updateChannel
// came first) it starts just before the earliest of them, otherwise it is
// read from its start as below (a push before the first one seen may have
// been lost). A channel named first by
// updateChannelTooLong (in a difference or pushed) also waits the window for
// pushes; without any, it is read from its start and only what is dated from
// the state the news came after is published: in a difference, the state
// the difference started from (so a channel the account was in while the
// connector was away loses nothing Telegram still has, bar deletions of
// messages older than that); pushed live, the last update applied (a join:
// from the join on). Older history is published only with
// EngineConfig.BackfillOnJoin, which reads every new channel from pts 1 as
// before, bounded by BackfillDepth. A channel stored before it was seeded
// keeps that date across a restart: its stored pts is then the negative
// date (state.ChannelState.Pts < 0), read back by the next Engine.
//
// Telegram's channel difference timeout is honoured: a channel's next
// difference (a gap recovery) waits until it passed; a gap in such a channel
// can stay open that long. The engine does not poll channels on its own; the
// idle getDifference (IdleTimeout) reports channels with news.
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
//
// # Cases of the updates documentation
//
// Every case of core.telegram.org/api/updates, where the engine handles it,
// and the test that shows it. The simulator column names the end-to-end
// scenario against internal/sim ("pending: internal/e2e" where that is
// still to be written).
//
//	case                                          handled in                          unit test                                                  simulator scenario
//	pts: local+count == pts, apply                sequence.push, applyCommon          TestSequence/in_order, TestEngineAppliesInOrderAndSkipsDuplicates   pending: internal/e2e
//	pts: local+count > pts, ignore (duplicate)    sequence.push (updates_duplicate_total) TestSequence/duplicate, TestSequence/overlapping, TestEngineAppliesInOrderAndSkipsDuplicates  pending: internal/e2e
//	pts: local+count < pts, gap: wait, fill       sequence.push/drain                 TestSequence/reordered, TestEngineBuffersOutOfOrderPushesUntilTheGapFills  pending: internal/e2e
//	gap not filled within 0.5s: getDifference     expire, recoverGaps, getDifference  TestSequence/gap_timeout, TestEngineRecoversAGapThatDoesNotFill  pending: internal/e2e
//	qts: same rules as pts (count 1)              applyUpdate (e.qts)                 TestEngineBuffersQtsLikePts                                pending: internal/e2e
//	seq: seq_start == local+1, apply container    container (e.seq)                   TestEngineSeqGapAcrossContainers                           pending: internal/e2e
//	seq: seq_start <= local (seq != 0), ignore    container                           TestEngineIgnoresAContainerAtOrBelowTheLocalSeq            pending: internal/e2e
//	seq: gap before seq_start: wait, then diff    container, expire, getDifference    TestEngineSeqGapAcrossContainers, TestSequence/seq_of_a_combined_container  pending: internal/e2e
//	seq == 0: apply without seq check             container                           TestEngineAppliesInOrderAndSkipsDuplicates (containers of seq 0)  pending: internal/e2e
//	updateShortMessage, updateShortChatMessage    process, shortEntities              TestEngineShortPushesCarryTheNamesOfAFullContainer         pending: internal/e2e
//	updateShort{updateNewMessage} (gotd's form)   process, shortEntities              TestEngineShortPushesCarryTheNamesOfAFullContainer         pending: internal/e2e
//	short push naming an unknown peer: getDifference  shortEntities                   TestEngineShortMessageFromAnUnknownUserFetchesTheDifference  pending: internal/e2e
//	updateShortSentMessage (answer to a send)     egress (mapping.SentMessage)        egress tests                                               pending: internal/e2e
//	updates, updatesCombined containers           process, container                  TestEngineSeqGapAcrossContainers                           pending: internal/e2e
//	updatesTooLong: getDifference                 process                             TestEngineUpdatesTooLongAndIdleAskForTheDifference         pending: internal/e2e
//	updates without pts/qts (button press)        applyUpdate                         TestEngineEmitsCallbackQueriesInPlace                      pending: internal/e2e
//	differenceEmpty, difference                   getDifference                       TestEngineRecoversAGapThatDoesNotFill                      pending: internal/e2e
//	differenceSlice: commit, ask again            getDifference                       TestEngineDifferenceSlicesAndTooLong                       pending: internal/e2e
//	differenceTooLong: backfill, move to pts      commonTooLong                       TestEngineDifferenceSlicesAndTooLong                       pending: internal/e2e
//	getDifference refused (400/403/406)           resetCommon                         TestEngineRefusedDifferenceContinuesFromTheCurrentState    pending: internal/e2e
//	difference loop that never ends               maxDifferenceRounds                 TestEngineChannelDifferenceLoopIsCapped                    pending: internal/e2e
//	channel pts: same rules, own box              applyChannel (channelBox.gap)       TestEngineChannelGapUsesChannelDifference                  pending: internal/e2e
//	channel update without channel (messageEmpty) applyUpdate (updates_skipped_total) TestEngineChannelUpdateWithoutPeerStaysOutOfTheCommonBox  pending: internal/e2e
//	channelDifferenceEmpty / channelDifference    channelDifference                   TestEngineChannelGapUsesChannelDifference                  pending: internal/e2e
//	channelDifferenceTooLong: dialog pts, backfill channelTooLong                     TestEngineChannelDifferenceTooLongBackfillsFromHistory     pending: internal/e2e
//	channel difference timeout                    channelDifference (notBefore)       TestEngineHonoursTheChannelDifferenceTimeout               pending: internal/e2e
//	updateChannelTooLong (push or other_updates)  channelTooLongUpdate                TestEngineStartAndResyncAskOnlyChannelsWithNews            pending: internal/e2e
//	getChannelDifference refused (kicked)         channelFailed (disabled, revive)    TestEngineRefusedChannelDropsItsGapAndRevives              pending: internal/e2e
//	getChannelDifference 500 / FLOOD_WAIT         channelFailed, retryChannel         TestEngineChannelTransientErrorBacksOffAlone               pending: internal/e2e
//	new channel (join): seed from Telegram        applyChannel, expire, channelTooLongUpdate, channelDifference  TestEngineJoinedChannelStartsAtThePush, TestEngineNewChannelLosesNoPushBeforeTheFirstSeen, TestEngineUnseededChannelKeepsItsSinceAcrossARestart, TestEngineNewChannelFromChannelTooLongPublishesSinceTheLastState, TestEngineNewChannelMetInADifferencePublishesTheDowntime, TestEngineNewChannelReportedWithItsPushesStartsAtThePushes  pending: internal/e2e
//	new channel with BackfillOnJoin               channel, applyChannel               TestEngineBackfillOnJoinReadsHistory                       pending: internal/e2e
//	first start: getState                         start                               TestEngineFirstStartFollowsCurrentState                    pending: internal/e2e
//	restart: getDifference from the stored state  start                               TestEngineResumesFromTheLastDurablePosition, TestEngineStartAndResyncAskOnlyChannelsWithNews  pending: internal/e2e
//	reconnect: getDifference only                 Resync                              TestEngineStartAndResyncAskOnlyChannelsWithNews            pending: internal/e2e
//	idle: getDifference after IdleTimeout         expire                              TestEngineUpdatesTooLongAndIdleAskForTheDifference         pending: internal/e2e
//	an idle engine sleeps until its next timer    nextWake                            TestEngineRefusedChannelDropsItsGapAndRevives              pending: internal/e2e
package ingest
