package state

import "time"

// OutboxRecord is one encoded event waiting in the outbox to be published.
type OutboxRecord struct {
	Seq     uint64              // assigned by Commit, strictly increasing
	Subject string              // NATS subject
	MsgID   string              // Nats-Msg-Id (the CloudEvent id)
	Header  map[string][]string // full NATS header, including Nats-Msg-Id
	Data    []byte              // body
	Created time.Time           // when the record entered the outbox
}
