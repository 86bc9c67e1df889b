package config

import (
	"fmt"
	"os"
	"time"
)

// minLeaseTTL keeps renewals (every TTL/3) and the stop margin (TTL/4)
// meaningful against NATS round trips.
const minLeaseTTL = time.Second

func (c *Config) validateLease(v *validator) {
	l := &c.Lease
	if !l.Enabled {
		return
	}
	if l.TTL < minLeaseTTL {
		v.add("lease.ttl", fmt.Sprintf("must be at least %s, got %s", minLeaseTTL, l.TTL))
	}
	if !validBucket(l.Bucket) {
		v.add("lease.bucket", fmt.Sprintf("must be a KV bucket name [A-Za-z0-9_-]+, got %q", l.Bucket))
	}
	if l.CheckpointBucket != "" {
		if !validBucket(l.CheckpointBucket) {
			v.add("lease.checkpoint_bucket", fmt.Sprintf("must be a KV bucket name [A-Za-z0-9_-]+, got %q", l.CheckpointBucket))
		}
		if l.CheckpointBucket == l.Bucket {
			v.add("lease.checkpoint_bucket", "must differ from lease.bucket (its keys expire)")
		}
		v.positive("lease.checkpoint_interval", int64(l.CheckpointInterval))
	}
}

func validBucket(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// NodeName returns lease.node, or host name and process id when it is empty.
func (l *Lease) NodeName() string {
	if l.Node != "" {
		return l.Node
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "unknown"
	}
	return fmt.Sprintf("%s-%d", h, os.Getpid())
}
