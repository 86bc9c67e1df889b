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
// ahead of the events: a crash anywhere leaves either both or neither. The
// stored date never passes a channel update the engine holds unapplied (a
// gap, a difference still to fetch): getDifference names the channels
// changed since that date, so a crash cannot hide one
// (TestEngineStateDateStaysBeforeAHeldChannelUpdate). On a
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
// in by a person, once, with package ingest/auth (phone, code and 2FA
// password, or a QR code); the session lands in the store. Account.Run
// never logs a user in: without a session it stops with ErrLogin naming
// the command to run. A stored session that cannot be read (wrong
// encryption key) stops it with ErrSessionUnreadable and is never replaced
// by a new login. What both share, the session format check, the DC
// override and the dialer reporting an unreachable Telegram, is in
// ingest/internal/tgclient.
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
// the difference started from, less newChannelMargin (a minute: the state's
// date moves with the common box while a new channel's first pushes may
// still be in flight, and a crash or hand-over then leaves them
// unpublished; repeats fall in JetStream's duplicate window), so a channel
// the account was in while the connector was away loses nothing Telegram
// still has, bar deletions of messages older than that; pushed live, the last update applied (a join:
// from the join on). Older history is published only with
// EngineConfig.BackfillOnJoin, which reads every new channel from pts 1 as
// before, bounded by BackfillDepth. A channel stored before it was seeded
// keeps that date across a restart: its stored pts is then the negative
// date (state.ChannelState.Pts < 0), read back by the next Engine.
//
// Telegram's channel difference timeout is honoured as Telegram means it, a
// polling interval: a channel Telegram says it does not push (a pushed
// updateChannelTooLong) is fetched again each time the timeout of its last
// difference passes, until a push of it arrives. The timeout never holds a
// gap's recovery back. Other channels are not polled: pushes and the idle
// getDifference (IdleTimeout) report channels with news.
//
// Updates that mapping ignores on purpose (its table gives the reason per
// constructor) publish nothing but move their position like any other; they
// are counted in tgnats_updates_ignored_total{type}. An update of a
// constructor the table lacks is logged at warn with its TL name and
// counted in tgnats_mapping_errors_total{type}.
//
// Updates without pts or qts (updateBotCallbackQuery, a button press; the
// inline queries, chosen inline results, inline-mode button presses and
// payment queries of bots; updateMessageReactions,
// updateReadChannelInbox/Outbox and the discussion reads,
// updateChannelReadMessagesContents, updateMessagePoll) are mapped where
// they arrive in the push order and committed with the batch they came in;
// they move no position. getDifference never returns them, so one sent
// while the account is disconnected is lost on Telegram's side. A bot's
// reaction and poll-vote updates carry qts and are sequenced as such.
//
// updateChannel names only the channel: the engine fetches it
// (channels.getChannels, fetch.go) once the batch is committed and
// publishes what Telegram returns as chat.updated (mapping.Channel); the
// stored state date waits for the fetch (durableDate). updateMessagePoll
// names only the poll: message.created events with poll media commit a
// poll link (state.Commit.Polls), which poll.updated's body then names.
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
// scenario against internal/sim (internal/e2e), or why there is none.
//
//	case                                          handled in                          unit test                                                  simulator scenario
//	pts: local+count == pts, apply                sequence.push, applyCommon          TestSequence/in_order, TestEngineAppliesInOrderAndSkipsDuplicates   TestEndToEnd
//	pts: local+count > pts, ignore (duplicate)    sequence.push (updates_duplicate_total) TestSequence/duplicate, TestSequence/overlapping, TestEngineAppliesInOrderAndSkipsDuplicates  TestEndToEnd (duplicated pushes)
//	pts: local+count < pts, gap: wait, fill       sequence.push/drain                 TestSequence/reordered, TestEngineBuffersOutOfOrderPushesUntilTheGapFills  TestEndToEnd (reordered pushes)
//	gap not filled within 0.5s: getDifference     expire, recoverGaps, getDifference  TestSequence/gap_timeout, TestEngineRecoversAGapThatDoesNotFill  TestEndToEnd (withheld pushes)
//	qts: same rules as pts (count 1)              applyUpdate (e.qts)                 TestEngineBuffersQtsLikePts                                TestScenarioReorderedQts
//	seq: seq_start == local+1, apply container    container (e.seq)                   TestEngineSeqGapAcrossContainers                           TestEndToEnd, TestCrashSafety (fault mix: combine)
//	seq: seq_start <= local (seq != 0), ignore    container                           TestEngineIgnoresAContainerAtOrBelowTheLocalSeq            TestScenarioStaleContainerSeq
//	seq: gap before seq_start: wait, then diff    container, expire, getDifference    TestEngineSeqGapAcrossContainers, TestSequence/seq_of_a_combined_container  TestCrashSafety (fault mix: combine+drop)
//	seq == 0: apply without seq check             container                           TestEngineAppliesInOrderAndSkipsDuplicates (containers of seq 0)  TestEndToEnd (channel and short pushes)
//	updateShortMessage, updateShortChatMessage    process, shortEntities              TestEngineShortPushesCarryTheNamesOfAFullContainer         TestScenarioShortPushNames
//	updateShort{updateNewMessage} (gotd's form)   process, shortEntities              TestEngineShortPushesCarryTheNamesOfAFullContainer         TestScenarioShortPushNames
//	short push naming an unknown peer: getDifference  shortEntities                   TestEngineShortMessageFromAnUnknownUserFetchesTheDifference  TestScenarioShortPushNames (a new user's first push)
//	updateShortSentMessage (answer to a send)     egress (mapping.SentMessage)        egress tests                                               TestCommandShortSentMessage
//	updates, updatesCombined containers           process, container                  TestEngineSeqGapAcrossContainers                           TestEndToEnd, TestCrashSafety (fault mix: combine)
//	updatesTooLong: getDifference                 process                             TestEngineUpdatesTooLongAndIdleAskForTheDifference         TestEndToEnd (updatesTooLong)
//	updates without pts/qts (button press)        applyUpdate                         TestEngineEmitsCallbackQueriesInPlace                      TestCommands (callback flow)
//	bot queries without pts/qts (inline, payment) applyUpdate                         TestEngineEmitsBotQueriesInPlace                           TestCommands (inline and payment flows)
//	differenceEmpty, difference                   getDifference                       TestEngineRecoversAGapThatDoesNotFill                      TestEndToEnd, TestNATSOutage
//	differenceSlice: commit, ask again            getDifference (next part asked while this one commits)  TestEngineDifferenceSlicesAndTooLong  TestCrashSafety (long downtime)
//	update without pts/qts repeated in parts      applyDifference, dropRepeated (updates_duplicate_total{box="difference"})  TestEngineDifferenceRepeatedRenameCommittedOnce  TestScenarioRenames
//	differenceTooLong: backfill, move to pts      commonTooLong                       TestEngineDifferenceSlicesAndTooLong                       TestTooLongDowntime
//	getDifference refused (400/403/406)           resetCommon                         TestEngineRefusedDifferenceContinuesFromTheCurrentState    written reason: the simulator can refuse it (fault call.error) but no e2e test asserts the loss report yet
//	difference loop that never ends               maxDifferenceRounds                 TestEngineChannelDifferenceLoopIsCapped                    written reason: the simulator cannot produce an endless difference
//	channel pts: same rules, own box              applyChannel (channelBox.gap)       TestEngineChannelGapUsesChannelDifference                  TestEndToEnd (channels)
//	channel update without channel (messageEmpty) applyUpdate (updates_skipped_total) TestEngineChannelUpdateWithoutPeerStaysOutOfTheCommonBox  TestScenarioMessageEmptyChannelUpdate
//	channelDifferenceEmpty / channelDifference    channelDifference                   TestEngineChannelGapUsesChannelDifference                  TestEndToEnd, TestScenarioKickedChannelRejoin
//	channelDifferenceTooLong: dialog pts, backfill channelTooLong                     TestEngineChannelDifferenceTooLongBackfillsFromHistory     TestTooLongDowntime
//	channel difference timeout                    channelDifference, expire (pollAt)  TestEngineHonoursTheChannelDifferenceTimeout               TestScenarioChannelDifferenceTimeout
//	updateChannelTooLong (push or other_updates)  channelTooLongUpdate                TestEngineStartAndResyncAskOnlyChannelsWithNews            TestScenarioChannelDifferenceTimeout, TestScenarioStartupCallCount
//	getChannelDifference refused (kicked)         channelFailed (disabled, revive)    TestEngineRefusedChannelDropsItsGapAndRevives              TestScenarioKickedChannelRejoin
//	updateChannel: fetch the channel              fetchChannel, fetchChannels         TestEngineChannelUpdateFetchesTheChannel, TestEngineChannelFetchFailureHoldsTheStateDate  TestChannelAndUserChanges
//	getChannelDifference 500 / FLOOD_WAIT         channelFailed, retryChannel         TestEngineChannelTransientErrorBacksOffAlone               TestScenarioChannelFloodWaitAlone
//	new channel (join): seed from Telegram        applyChannel, expire, channelTooLongUpdate, channelDifference  TestEngineJoinedChannelStartsAtThePush, TestEngineNewChannelLosesNoPushBeforeTheFirstSeen, TestEngineUnseededChannelKeepsItsSinceAcrossARestart, TestEngineNewChannelFromChannelTooLongPublishesSinceTheLastState, TestEngineNewChannelMetInADifferencePublishesTheDowntime, TestEngineNewChannelReportedWithItsPushesStartsAtThePushes  TestScenarioJoinLongHistory
//	new channel with BackfillOnJoin               channel, applyChannel               TestEngineBackfillOnJoinReadsHistory                       written reason: an option, covered by its unit test
//	first start: getState                         start                               TestEngineFirstStartFollowsCurrentState                    TestEndToEnd
//	restart: getDifference from the stored state  start                               TestEngineResumesFromTheLastDurablePosition, TestEngineStartAndResyncAskOnlyChannelsWithNews  TestCrashSafety, TestScenarioStartupCallCount
//	reconnect: getDifference only                 Resync                              TestEngineStartAndResyncAskOnlyChannelsWithNews            TestScenarioStartupCallCount
//	idle: getDifference after IdleTimeout         expire                              TestEngineUpdatesTooLongAndIdleAskForTheDifference         written reason: a 15-minute idle is not run end to end; its unit test moves a fake clock
//	an idle engine sleeps until its next timer    nextWake                            TestEngineRefusedChannelDropsItsGapAndRevives              TestScenarioKickedChannelRejoin (idle CPU and calls)
package ingest
