// Package mapping turns Telegram updates (gotd's tg types) into schema
// events. It is pure: no I/O, no clock, no state; the same input always
// yields the same events with the same ids, which is what lets ingest
// re-map an update after a restart or gap recovery without duplicates.
//
// # What is mapped
//
//   - updateNewMessage, updateNewChannelMessage → message.created
//   - updateEditMessage, updateEditChannelMessage → message.edited, one id
//     per edit. The id's version is schema.EditVersion: edit_date × 1 000 000
//     plus a digest (mod 1 000 000) of the edited content: text, entities and
//     the media's identity ("photo:<id>" / "document:<id>", the JSON of the
//     mapped media otherwise; never the file reference). Two edits within one
//     second get different ids; an edit redelivered keeps its id. Telegram
//     also sends edit updates without edit_date (view or reaction counters
//     changed): those get the digest alone as version (below 1 000 000, so
//     never a real edit's id) and the message date as time; while the
//     content is unchanged they share one id, which JetStream deduplicates.
//   - updateDeleteMessages, updateDeleteChannelMessages → one message.deleted
//     per message id. Private and basic-group deletions do not name their
//     chat: a Resolver (the local message-id index) supplies it, else the
//     chat is kind "unknown", id 0.
//   - updateBotCallbackQuery (the account is a bot; a user pressed an inline
//     button) → callback.query in the chat of the message carrying the
//     button, versioned by the query id: each press is its own event. The
//     update has no date: the time is the containing Updates' date. Its
//     callback data is base64 in "data" and repeated as text in "data_text"
//     when valid UTF-8. updateInlineBotCallbackQuery (a button under a
//     message sent via inline mode) names no chat and is not mapped yet.
//   - Reactions (reaction.go): updateMessageReactions and, for bots,
//     updateBotMessageReactions → reaction.updated (the counts now,
//     versioned by schema.ReactionVersion); updateBotMessageReaction →
//     reaction.changed (who, old and new; versioned by its qts).
//   - Pins (pin.go): updatePinnedMessages, updatePinnedChannelMessages →
//     message.pinned or message.unpinned per message, versioned by the pts.
//   - Read receipts (read.go): the read history and channel read updates →
//     read.inbox / read.outbox with the message id max_id (version: the pts
//     of private and basic-group reads, the thread of discussion reads);
//     the read contents updates → read.contents per message.
//   - Polls (poll.go): updateMessagePoll → poll.updated on chat unknown
//     (Telegram names only the poll; versioned by schema.PollVersion);
//     updateMessagePollVote → poll.voted on the voter's private chat,
//     versioned by its qts.
//   - updateShortMessage and updateShortChatMessage are expanded first with
//     ShortMessage and ShortChatMessage; updateShortSentMessage is mapped by
//     SentMessage, given the request's peer and text.
//
// Every other constructor of tg.UpdateClass has a row in the table of
// table.go saying why it is ignored (ephemeral, client state, not yet
// mapped, …): Update returns an *IgnoredError for it, and an error wrapping
// ErrUnclassified for a constructor the table lacks (a newer gotd), never
// (nil, nil). TestEveryUpdateIsClassified walks every constructor gotd
// generates. The caller still advances its state past both.
//
// The chat of a private message is the other user (peer_id). The sender is
// from_id when present, else the channel for channel posts, the other user
// for incoming private messages and the account itself for outgoing ones
// (when the entities include the self user). Names, titles and usernames
// come from the entities delivered with the update when they are there;
// mapping never fetches anything.
//
// # Unknown content
//
// Nothing is dropped silently. Entities, media and service actions this
// version does not know map to Type "unsupported" carrying the TL
// constructor name (schema.Entity/Media/ServiceAction.Constructor). Mapping
// has no counters of its own; UnsupportedParts lists those parts of an event
// so the caller can count them in its metrics.
//
// Media carry a FileRef (see FileRef for the format) from which a later
// command can rebuild inputPhoto/inputDocument or a download location.
//
// # Limits
//
// Nil and typed-nil fields in hand-built structs are tolerated and never
// panic; a message without a valid peer_id is an error wrapping ErrMalformed
// (permanent: the same input always fails the same way). Text and entity
// offsets are passed through as Telegram sends them (UTF-16 offsets).
// Views, inline-mode callback queries and other update kinds are not mapped
// yet: the table lists them. Link-preview updates (updateWebPage) name a
// web page, not the messages showing it: they become message.edited only
// for the messages a WebPageResolver remembers showing the page pending.
package mapping
