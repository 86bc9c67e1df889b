package provision

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// LeaseBucket describes the lease bucket.
type LeaseBucket struct {
	Name     string
	TTL      time.Duration
	Replicas int
}

// EnsureLeaseBucket creates the lease bucket, or updates its TTL and
// replicas: one revision per key, file storage.
func EnsureLeaseBucket(ctx context.Context, js jetstream.KeyValueManager, cfg LeaseBucket) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      cfg.Name,
		Description: "tgnats account leases",
		History:     1,
		TTL:         cfg.TTL,
		Storage:     jetstream.FileStorage,
		Replicas:    max(cfg.Replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("lease bucket %s: %w", cfg.Name, err)
	}
	return kv, nil
}

// EnsureCheckpointBucket creates the checkpoint bucket name, or updates it:
// one revision per key, file storage, no TTL. Errors are jetstream's,
// unwrapped.
func EnsureCheckpointBucket(ctx context.Context, js jetstream.KeyValueManager, name string, replicas int) (jetstream.KeyValue, error) {
	return js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      name,
		Description: "tgnats account checkpoints (sealed when state.encryption_key is set)",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
}
