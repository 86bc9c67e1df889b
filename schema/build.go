package schema

import (
	"fmt"
	"reflect"
	"strings"
)

// Helpers for Go services that build commands (egress.Client sends them).

// PeerOf names the chat ref in a command, e.g. the chat of an event:
// SendMessage{Peer: PeerOf(ev.Chat.Ref()), Text: "…"}.
func PeerOf(ref PeerRef) PeerInput { return PeerInput{Kind: ref.Kind, ID: ref.ID} }

// PeerByUsername names a public chat or user by its username, with or
// without the "@".
func PeerByUsername(name string) PeerInput {
	return PeerInput{Username: strings.TrimPrefix(name, "@")}
}

// CommandOf returns the command whose body body is (a *SendMessage is
// message.send, …), or an UNKNOWN_ACTION error for a body of no command.
func CommandOf(body Body) (Command, error) {
	t := reflect.TypeOf(body)
	for i := range registry {
		if reflect.TypeOf(registry[i].newBody()) == t {
			return Command{def: &registry[i], Body: body}, nil
		}
	}
	return Command{}, NewCommandError(CodeUnknownAction, "%s is the body of no command", fmt.Sprint(t))
}
