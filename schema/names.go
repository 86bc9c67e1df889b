package schema

import "strings"

// Wire names: every subject, stream, KV bucket, consumer and header name
// tgnats uses on NATS is declared here and nowhere else. The subjects and
// streams are what consumers subscribe and publish to (README, DESIGN.md
// §2); the buckets are what NATS permissions must allow besides them.
const (
	// DefaultPrefix is the first token of every subject when none is configured.
	DefaultPrefix = "tg"
	// DefaultControlPrefix is the first token of the simulator's control
	// subjects, <prefix>.<account>.control.<verb>.
	DefaultControlPrefix = "tgsim"

	// DefaultLeaseBucket is the KV bucket of account leases (lease.bucket).
	DefaultLeaseBucket = "TGNATS_LEASES"
	// DefaultCheckpointBucket is the KV bucket of account checkpoints
	// (lease.checkpoint_bucket).
	DefaultCheckpointBucket = "TGNATS_CHECKPOINTS"

	// HeaderMsgID is JetStream's de-duplication header; it carries the event id.
	HeaderMsgID = "Nats-Msg-Id"
	// HeaderContentType is the Content-Type of a structured-mode message.
	HeaderContentType = "Content-Type"
	// HeaderTraceParent is the W3C trace context header.
	HeaderTraceParent = "traceparent"

	// HeaderCEPrefix is the prefix of binary-mode CloudEvents attribute headers.
	HeaderCEPrefix = "ce-"
	// Binary-mode CloudEvents attribute headers.
	HeaderCESpecVersion     = HeaderCEPrefix + "specversion"
	HeaderCEID              = HeaderCEPrefix + "id"
	HeaderCESource          = HeaderCEPrefix + "source"
	HeaderCEType            = HeaderCEPrefix + "type"
	HeaderCETime            = HeaderCEPrefix + "time"
	HeaderCESubject         = HeaderCEPrefix + "subject"
	HeaderCEDataContentType = HeaderCEPrefix + "datacontenttype"
	HeaderCEDataSchema      = HeaderCEPrefix + "dataschema"
	HeaderCEPartitionKey    = HeaderCEPrefix + "partitionkey"
	HeaderCETraceParent     = HeaderCEPrefix + "traceparent"

	// HeaderFileObject marks an outbox record whose event names an object
	// of the automatic download (Media.File): the publisher makes sure the
	// object is stored before it publishes the event, and removes the
	// header (DESIGN.md §8). It is never published.
	HeaderFileObject = "Tgnats-File-Object"
)

// EventStreamName returns the name of an account's event stream,
// TG_<ACCOUNT>_EVENTS, the account upper-cased with '-' replaced by '_'.
func EventStreamName(account string) string { return streamName(account, "EVENTS") }

// CommandStreamName returns the name of an account's commands stream
// (a work queue), TG_<ACCOUNT>_COMMANDS.
func CommandStreamName(account string) string { return streamName(account, "COMMANDS") }

// FilesBucketName returns the name of an account's Object Store bucket of
// files (media.download, media.send from an object), TG_<ACCOUNT>_FILES,
// unless files.bucket names another.
func FilesBucketName(account string) string { return streamName(account, "FILES") }

func streamName(account, what string) string {
	return "TG_" + strings.ToUpper(strings.ReplaceAll(account, "-", "_")) + "_" + what
}

// EventSubject returns <prefix>.<account>.events.<rest>: rest is
// <kind>.<action>.<peer_kind>.<peer_id> for one event (see Event.Subject),
// or a wildcard such as "message.>" or ">" to subscribe.
func EventSubject(prefix, account, rest string) string {
	return prefix + "." + account + ".events." + rest
}

// LiveSubject returns <prefix>.<account>.live.<rest>: rest is
// <kind>.<action>.<peer_kind>.<peer_id> for one live signal (see
// LiveSignal.Subject), or a wildcard such as "typing.>" or ">" to
// subscribe. Live signals travel on core NATS only, never stored.
func LiveSubject(prefix, account, rest string) string {
	return prefix + "." + account + ".live." + rest
}

// CommandSubject returns <prefix>.<account>.commands.<action>, the subject of
// a stream command (">" for all of them).
func CommandSubject(prefix, account, action string) string {
	return prefix + "." + account + ".commands." + action
}

// RPCSubject returns <prefix>.<account>.rpc.<action>, the subject of a
// request-reply command.
func RPCSubject(prefix, account, action string) string {
	return prefix + "." + account + ".rpc." + action
}

// ControlSubject returns <prefix>.<account>.control.<verb>, a subject of the
// simulator's control surface.
func ControlSubject(prefix, account, verb string) string {
	return prefix + "." + account + ".control." + verb
}

// ServiceName returns the name of an account's NATS micro service of rpc
// commands, tgnats-<account>.
func ServiceName(account string) string { return "tgnats-" + account }
