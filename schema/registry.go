package schema

import (
	"strings"
)

// Command names: the last tokens of tg.<account>.commands.<name> and
// tg.<account>.rpc.<name>, and the "action" of a command's result.
const (
	CommandMessageSend    = "message.send"
	CommandMessageEdit    = "message.edit"
	CommandMessageDelete  = "message.delete"
	CommandMessageForward = "message.forward"
	CommandMessagePin     = "message.pin"
	CommandMessageUnpin   = "message.unpin"
	CommandReactionSend   = "reaction.send"
	CommandChatAction     = "chat.action"
	CommandReadMark       = "read.mark"
	CommandCallbackAnswer = "callback.answer"
	CommandMediaSend      = "media.send"
	CommandMediaDownload  = "media.download"
)

// registry is the one list of commands, in a stable order; the names,
// parsing by name, the peers of a parsed command and the JSON Schema of
// each command are derived from it. Adding a command is a row here, its
// body type with Validate, and its JSON Schema
// jsonschema/command.<name>.v1.json (tests check that the schema, the
// AsyncAPI channels and an egress handler exist for every row).
var registry = [...]commandDef{
	define(CommandMessageSend, func(c *SendMessage) []PeerInput { return []PeerInput{c.Peer} }),
	define(CommandMessageEdit, func(c *EditMessage) []PeerInput { return []PeerInput{c.Peer} }),
	define(CommandMessageDelete, func(c *DeleteMessages) []PeerInput { return []PeerInput{c.Peer} }),
	define(CommandMessageForward, func(c *ForwardMessages) []PeerInput { return []PeerInput{c.ToPeer, c.FromPeer} }),
	define(CommandMessagePin, func(c *PinMessage) []PeerInput { return []PeerInput{c.Peer} }),
	define(CommandMessageUnpin, func(c *UnpinMessage) []PeerInput { return []PeerInput{c.Peer} }),
	define(CommandReactionSend, func(c *SendReaction) []PeerInput { return []PeerInput{c.Peer} }),
	define(CommandChatAction, func(c *ChatAction) []PeerInput { return []PeerInput{c.Peer} }),
	define(CommandReadMark, func(c *MarkRead) []PeerInput { return []PeerInput{c.Peer} }),
	define(CommandCallbackAnswer, func(*AnswerCallback) []PeerInput { return nil }),
	define(CommandMediaSend, func(c *SendMedia) []PeerInput { return []PeerInput{c.Peer} }),
	define(CommandMediaDownload, func(c *DownloadMedia) []PeerInput {
		if c.Peer.IsZero() {
			return nil // a file_ref alone names no chat
		}
		return []PeerInput{c.Peer}
	}),
	define(CommandInlineAnswer, func(*AnswerInline) []PeerInput { return nil }),
	define(CommandPrecheckoutAnswer, func(*AnswerPrecheckout) []PeerInput { return nil }),
	define(CommandShippingAnswer, func(*AnswerShipping) []PeerInput { return nil }),
}

// commandDef is one row of the registry.
type commandDef struct {
	name    string
	newBody func() Body
	// peers returns the chats the body touches, the acted-on chat first.
	peers func(Body) []PeerInput
}

// define makes the row of the command name whose body is a *T; peers
// returns the chats a body touches, the acted-on chat first.
func define[T any, B interface {
	*T
	Body
}](name string, peers func(B) []PeerInput) commandDef {
	return commandDef{
		name:    name,
		newBody: func() Body { return B(new(T)) },
		peers:   func(b Body) []PeerInput { return peers(b.(B)) },
	}
}

// lookup returns the row of a command name.
func lookup(name string) (*commandDef, bool) {
	for i := range registry {
		if registry[i].name == name {
			return &registry[i], true
		}
	}
	return nil, false
}

// CommandNames returns the name of every command in a stable order. The
// slice is a fresh copy.
func CommandNames() []string {
	names := make([]string, len(registry))
	for i := range registry {
		names[i] = registry[i].name
	}
	return names
}

// CommandSchemaName returns the file name of the JSON Schema of a
// command's body, "command.<name>.v1.json", a key of Schemas.
func CommandSchemaName(name string) string { return SchemaName(KindCommand, name) }

// Body is the body of one command: a pointer to SendMessage, EditMessage, ….
type Body interface {
	// Validate reports the first field that breaks the contract or Telegram's
	// limits as an INVALID_ARGUMENT CommandError.
	Validate() error
}

// Command is a command of a known name with its body.
type Command struct {
	def *commandDef
	// Body is the command's body, of the type its name calls for.
	Body Body
}

// Name returns the command's name, e.g. "message.send"; "" for the zero
// Command.
func (c Command) Name() string {
	if c.def == nil {
		return ""
	}
	return c.def.name
}

// Peers returns the chats the command touches, the acted-on chat first.
func (c Command) Peers() []PeerInput {
	if c.def == nil {
		return nil
	}
	return c.def.peers(c.Body)
}

// NewCommand returns the command name with an empty body, or an
// UNKNOWN_ACTION error.
func NewCommand(name string) (Command, error) {
	def, ok := lookup(name)
	if !ok {
		return Command{}, NewCommandError(CodeUnknownAction, "unknown action %q, want one of %s", name, strings.Join(CommandNames(), ", "))
	}
	return Command{def: def, Body: def.newBody()}, nil
}
