package sim

import (
	"context"
	"fmt"
	"strings"
)

// dialogChannelTitle is the title prefix of EnsureDialogChannels' channels.
const dialogChannelTitle = "Dialog channel "

// EnsureDialogChannels makes the accounts members of at least n quiet
// broadcast channels (besides the scenario's), each with one post, as a
// user account subscribed to hundreds of channels is: its dialogs list is
// long, and a connector's start-up pays for it. Channels made by an earlier
// call (also before a restart) count; it returns how many it created.
func (s *Sim) EnsureDialogChannels(ctx context.Context, n int) (int, error) {
	s.mu.Lock()
	have := 0
	for _, ch := range s.w.channels {
		if ch.Broadcast && strings.HasPrefix(ch.Title, dialogChannelTitle) {
			have++
		}
	}
	s.mu.Unlock()
	created := 0
	for i := have; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return created, err
		}
		ch, err := s.CreateBroadcast(fmt.Sprintf("%s%d", dialogChannelTitle, i+1))
		if err != nil {
			return created, err
		}
		if _, err := s.SendMessage(ctx, Outgoing{Chat: ch, Text: "channel " + fmt.Sprint(i+1) + " says hello"}); err != nil {
			return created, err
		}
		created++
	}
	return created, nil
}
