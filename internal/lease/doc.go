// Package lease makes sure that at most one tgnats process at a time talks
// to Telegram for an account (DESIGN.md §7): Telegram revokes an auth key
// used from two places at once (AUTH_KEY_DUPLICATED).
//
// # Contract
//
//   - A lease is one key (the account name) in a JetStream KV bucket whose
//     TTL (the stream's max age) bounds it. It is acquired with Create, so
//     only one holder wins; renewed with Update at the revision last written,
//     every Config.Renew (default TTL/3); released on a clean stop with a
//     Delete checked against that revision, so a stale holder never deletes a
//     lease someone else took.
//   - Renewals go on until the lead function returns, also after Run's
//     context is done: a graceful stop finishes its work (drain, last
//     checkpoint) under the lease and then releases it at the revision of
//     the last renewal, so a standby takes over within Retry.
//   - Leader.Run calls the lead function only while the lease is held, with a
//     context that is cancelled AT ONCE when the lease is lost: when a renewal
//     is refused (someone else holds it, or it is gone), or when TTL minus
//     Config.Margin has passed, on the local monotonic clock, since the last
//     renewal was sent without one succeeding. The server expires the key
//     no earlier than TTL after it stored that renewal, so the holder stops
//     before another process can take the lease, provided lead returns within
//     the margin and the clocks run at roughly the same rate.
//   - After a loss, and while another process holds the lease, Run keeps
//     trying to acquire it every Config.Retry (default TTL/4): a standby
//     takes over at most TTL + Retry after the holder stopped renewing, and
//     within Retry after a clean release.
//   - The revision handed to lead changes on every acquisition; it fences
//     writes that must come from the current holder only (see Leader.Held).
//
// # Limits
//
//   - A holder that is partitioned from NATS stops serving after TTL minus
//     Margin even though no one may have taken over: safety over availability.
//   - The bucket's TTL is fixed when the bucket is created; provision.EnsureLeaseBucket
//     updates it when it differs.
//   - Nothing here stops a process that ignores the cancelled context: the
//     lead function must return promptly.
package lease
