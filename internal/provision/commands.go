package provision

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/schema"
)

// EnsureCommandStream creates the account's commands stream, or updates it:
// a work queue on file storage over <prefix>.<account>.commands.>, with a
// two-minute Nats-Msg-Id window. Errors are jetstream's, unwrapped.
func EnsureCommandStream(ctx context.Context, js jetstream.StreamManager, prefix, account string) (jetstream.Stream, error) {
	return js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        schema.CommandStreamName(account),
		Description: "tgnats commands of account " + account,
		Subjects:    []string{schema.CommandSubject(prefix, account, ">")},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Duplicates:  2 * time.Minute,
	})
}
