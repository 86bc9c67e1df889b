// Package schema holds the contracts that consumers of tgnats program
// against: the normalized Event, the bodies of message and callback.query
// events, their CloudEvents encoding on NATS and the documents that
// describe them.
//
// # Events
//
// Event is what mapping produces from Telegram updates and what the outbox
// stores. Its ID is deterministic (EventID): the same Telegram change yields
// the same id after a gap recovery or restart, a different change never does.
//
// Bodies: Message (message.created, message.edited), MessageDeleted
// (message.deleted) and CallbackQuery (callback.query: a user pressed an
// inline button of the bot's message; its query_id is a decimal string, the
// query_id the callback.answer command takes). Members, bots, chats and
// users (event_member.go, event_profile.go): MemberChange (member.joined,
// member.left, member.updated), JoinRequest (member.join_requested),
// JoinPending (member.join_pending), BotBlock (bot.stopped, bot.restarted),
// ChatUpdate (chat.updated), ChatMembers (chat.members), UserUpdate
// (user.updated); versions of changes
// without an identity of their own come from SnapshotVersion.
//
// # Live signals
//
// LiveSignal (live.go) is not an Event: typing (Typing) and online status
// (UserStatus) go to core NATS on LiveSubject, never stored; LiveSignal.Msg
// gives them the binary-mode headers of an event.
//
// # Encoding
//
// Encoder.Encode turns an Event into a nats.Msg following the CloudEvents
// NATS protocol binding (spec 1.0):
//
//   - binary mode (default): every attribute is a lower-case ce-* header
//     (ce-specversion, ce-id, ce-source, ce-type, ce-time in RFC 3339 UTC,
//     ce-subject, ce-datacontenttype=application/json, ce-dataschema,
//     ce-partitionkey, ce-traceparent when set) and the body is the JSON of
//     Event.Data;
//   - structured mode: Content-Type application/cloudevents+json and the
//     whole event as JSON in the body.
//
// Both modes set Nats-Msg-Id to the event id (JetStream deduplicates on it)
// and a plain traceparent header when one is known. Header values are ASCII
// by construction (ids, URIs, times): names, titles and text only ever travel
// in the JSON body, so no percent-encoding is needed or applied.
//
// Decode reads either mode back into an sdk-go event.Event, matching header
// names case-insensitively, and validates it. It is fuzzed and never panics.
//
// # Documents
//
// Schemas returns the JSON Schemas (draft 2020-12) of the bodies, one per
// CloudEvent type, whose $id is the event's dataschema (DataSchema). The Go
// types are the source of truth: tests check every schema property against
// the struct's json tags, so the two cannot drift. AsyncAPI returns an
// AsyncAPI 3 document of the subjects; its command subjects are still
// placeholders that do not reference the command schemas.
//
// # Commands
//
// A command is named ("message.send"; the last tokens of
// tg.<account>.commands.<name> and tg.<account>.rpc.<name>, and the "action"
// field of its result). registry.go holds the one list of commands: per
// name, its body type and the chats it touches. CommandNames, NewCommand,
// Command.Peers and CommandSchemaName are derived from it; egress keys its
// handlers by the same names. Adding a command is a registry row, its body
// type (command_types.go) with Validate (validate.go), its JSON Schema
// command.<name>.v1.json and its channels in asyncapi.yaml; tests fail
// until each exists, and until egress has a handler for it.
//
// ParseCommand decodes and validates a body (parse.go) with messages naming
// the field ("text: longer than 4096 characters"). PeerInput (peers.go) is
// how a body names a chat. CommandResult (command_result.go) is the reply
// and the data of command.completed / command.failed events (CommandEvent).
// Text limits are counted in UTF-16 code units, as Telegram counts them.
// The result's JSON Schemas are command.<completed|failed>.v1.json.
//
// # Limits
//
// Only CloudEvents 1.0 is produced; Decode also accepts what sdk-go accepts
// (0.3). Decode does not check the body against the JSON Schema. Schemas are
// versioned by name (v1): adding optional fields keeps v1, anything else is a
// new version.
package schema
