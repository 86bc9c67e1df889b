package publisher

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// Fast batch publishing (nats-server 2.14+, streams with allow_batched):
// messages are published with a reply subject of the form
//
//	<inbox>.<batch id>.<flow>.fail.<batch seq>.<op>.$FI
//
// and the server stores them in batch-sequence order, answering with a flow
// ack ({"type":"ack","seq":n}: every message up to n is stored) every flow
// messages, and with a PubAck carrying the batch's count when it ends. In
// "fail" gap mode a batch stops at the first message lost or refused: what
// the stream holds of a batch is always a prefix of it. The publisher sends
// the outbox in seq order, so each chat's events reach the stream in order
// whatever fails; a retry starts a new batch at the first record not known
// stored, and Nats-Msg-Id drops what the old batch stored after all.
const (
	opStart  = 0
	opAppend = 1
	opEOB    = 3 // commit without a message

	fastBatchSuffix = ".$FI"
)

// nats-server error codes of fast batch publishing.
const (
	errCodeBatchDisabled       jetstream.ErrorCode = 10205
	errCodeBatchInvalidPattern jetstream.ErrorCode = 10206
	errCodeBatchUnknownID      jetstream.ErrorCode = 10208
)

// errBatchEnded is the failure of a batch that ended, or went unanswered,
// before the server confirmed all of its messages.
var errBatchEnded = errors.New("publisher: batch ended before all its events were acknowledged")

// batchResponse is anything the server sends to a fast batch's reply subject.
type batchResponse struct {
	Type      string              `json:"type"` // "ack", "gap", "err"; empty in a PubAck
	Seq       uint64              `json:"seq"`  // ack: stored through; err: the refused message
	Error     *jetstream.APIError `json:"error"`
	Stream    string              `json:"stream"`
	Batch     string              `json:"batch"`
	Count     uint64              `json:"count"`
	Duplicate bool                `json:"duplicate"`
}

// batch is the fast batch being published.
type batch struct {
	id      string
	prefix  string   // reply subject up to the batch seq
	subject string   // subject of the first message; the EOB commit goes there
	entries []*entry // entries[i] has batch seq i+1
	acked   int      // entries[:acked] are stored
	started bool     // the server answered the first message
	ending  bool     // send nothing more: the server ends it, or it is committed
	eob     bool     // the commit is sent
	failSeq uint64   // message the server refused, with failErr
	failErr error
}

// batcher is what the loop keeps for fast batch publishing.
type batcher struct {
	nc    *nats.Conn
	root  string // inbox all replies of this loop arrive under
	flow  int
	sub   *nats.Subscription
	msgs  chan *nats.Msg
	cur   *batch
	timer *time.Timer
	// linger fires batchLinger after the batch went idle (lingering).
	linger    *time.Timer
	lingering time.Time
}

// batchLinger is how long an open batch waits for more records before it
// is committed.
const batchLinger = 20 * time.Millisecond

func (bt *batcher) lingerC() <-chan time.Time {
	if bt == nil || bt.lingering.IsZero() {
		return nil
	}
	return bt.linger.C
}

// connOf returns the connection of js when it has one (jetstream.JetStream does).
func connOf(js JetStream) *nats.Conn {
	if c, ok := js.(interface{ Conn() *nats.Conn }); ok {
		return c.Conn()
	}
	return nil
}

// startBatching subscribes to the replies of fast batches; without a
// connection, or when that fails, the loop publishes one event per chat
// at a time instead.
func (l *loop) startBatching() {
	nc := connOf(l.p.cfg.JS)
	if nc == nil || l.p.cfg.NoBatch {
		return
	}
	bt := &batcher{nc: nc, root: nc.NewInbox(), flow: max(1, l.p.cfg.Window/4), msgs: make(chan *nats.Msg, 4096)}
	sub, err := nc.ChanSubscribe(bt.root+".>", bt.msgs)
	if err != nil {
		l.p.log.Warn("fast batch publishing unavailable; publishing one event per chat at a time", "err", err)
		return
	}
	bt.sub = sub
	bt.linger = time.NewTimer(time.Hour)
	bt.linger.Stop()
	l.bt = bt
}

func (l *loop) stopBatching() {
	if l.bt == nil {
		return
	}
	_ = l.bt.sub.Unsubscribe()
	if l.bt.timer != nil {
		l.bt.timer.Stop()
	}
	l.bt.linger.Stop()
	l.bt = nil
}

// fallBack stops fast batch publishing for the rest of this run.
func (l *loop) fallBack(reason string, err error) {
	l.p.log.Info("server or stream without fast batch publishing; publishing one event per chat at a time", "reason", reason, "err", err)
	l.stopBatching()
}

func (bt *batcher) arm(d time.Duration) {
	if bt.timer == nil {
		bt.timer = time.NewTimer(d)
		return
	}
	bt.timer.Stop()
	bt.timer.Reset(d)
}

func (bt *batcher) timerC() <-chan time.Time {
	if bt == nil || bt.timer == nil || bt.cur == nil {
		return nil
	}
	return bt.timer.C
}

// dispatchBatch sends the waiting records, in outbox order, into the open
// batch (starting one if none is), and commits the batch once everything
// read is sent and the outbox has no more.
func (l *loop) dispatchBatch() error {
	bt := l.bt
	if l.pause != nil {
		return nil
	}
	b := bt.cur
	if b != nil && (b.ending || !b.started) {
		return nil
	}
	var rejected []uint64
	var held map[string]bool // chats with a record being prepared
	for _, e := range l.buf {
		if e.state == preparing {
			held = holdKey(held, e.key)
			continue
		}
		if e.state != waiting || held[e.key] {
			continue
		}
		if b == nil {
			b = &batch{id: nuid.Next(), subject: e.rec.Subject}
			b.prefix = bt.root + "." + b.id + "." + strconv.Itoa(bt.flow) + ".fail."
			bt.cur = b
		}
		if err := l.sendBatched(b, e); err != nil {
			if rejectedForGood(err) {
				// Never sent: it takes no batch seq.
				l.failed(e, err)
				rejected = append(rejected, e.rec.Seq)
				continue
			}
			l.endBatch(b, 0, err)
			break
		}
		if !b.started {
			break // the first answer tells whether the server batches
		}
	}
	if bt.cur != nil && b == bt.cur && b.started && !b.ending && !l.more && l.allSent() {
		// Idle: commit, at once when draining, else after batchLinger
		// without new records, so that a steady trickle rides one batch
		// instead of paying two round trips per batch.
		if l.drain || !bt.lingering.IsZero() && time.Since(bt.lingering) >= batchLinger {
			l.commitBatch(b)
		} else if bt.lingering.IsZero() {
			bt.lingering = time.Now()
			bt.linger.Reset(batchLinger)
		}
	} else {
		bt.lingering = time.Time{}
	}
	return l.remove(rejected)
}

// allSent reports whether every record that may be sent was: those
// behind a record being prepared, in its chat, may not yet.
func (l *loop) allSent() bool {
	var held map[string]bool
	for _, e := range l.buf {
		switch {
		case e.state == preparing:
			held = holdKey(held, e.key)
		case e.state == waiting && !held[e.key]:
			return false
		}
	}
	return true
}

// holdKey adds key to the set held, made on first use.
func holdKey(held map[string]bool, key string) map[string]bool {
	if held == nil {
		held = make(map[string]bool)
	}
	held[key] = true
	return held
}

func (l *loop) sendBatched(b *batch, e *entry) error {
	seq := len(b.entries) + 1
	op := opAppend
	if seq == 1 {
		op = opStart
	}
	m := e.batchMsg()
	m.Reply = b.prefix + strconv.Itoa(seq) + "." + strconv.Itoa(op) + fastBatchSuffix
	e.sent = time.Now()
	if err := l.bt.nc.PublishMsg(m); err != nil {
		return err
	}
	e.state = inFlight
	b.entries = append(b.entries, e)
	if seq == 1 || len(b.entries)-b.acked == 1 {
		l.bt.arm(l.p.cfg.AckTimeout)
	}
	return nil
}

// batchMsg returns the record as a message, built once per entry.
func (e *entry) batchMsg() *nats.Msg {
	if e.msg == nil {
		// Publishing reads the header and never changes it: the record's
		// own map serves when it carries the msg id already (tgnats's do).
		h := nats.Header(e.rec.Header)
		if v := h[jetstream.MsgIDHeader]; len(v) != 1 || v[0] != e.rec.MsgID {
			h = make(nats.Header, len(e.rec.Header)+1)
			for k, v := range e.rec.Header {
				h[k] = v
			}
			if e.rec.MsgID != "" {
				h[jetstream.MsgIDHeader] = []string{e.rec.MsgID}
			}
		}
		e.msg = &nats.Msg{Subject: e.rec.Subject, Header: h, Data: e.rec.Data}
	}
	return e.msg
}

// commitBatch sends the end-of-batch commit: the server answers with a
// PubAck counting what it stored once everything sent is stored.
func (l *loop) commitBatch(b *batch) {
	b.ending, b.eob = true, true
	m := &nats.Msg{Subject: b.subject, Reply: b.prefix + strconv.Itoa(len(b.entries)+1) + "." + strconv.Itoa(opEOB) + fastBatchSuffix}
	if err := l.bt.nc.PublishMsg(m); err != nil {
		l.endBatch(b, 0, err)
		return
	}
	l.bt.arm(l.p.cfg.AckTimeout)
}

// batchTimeout: no answer for AckTimeout. The first time, commit (which
// also asks the server for the count); then give the batch up.
func (l *loop) batchTimeout() error {
	b := l.bt.cur
	if b == nil {
		return nil
	}
	if b.started && !b.eob {
		l.commitBatch(b)
		return nil
	}
	return l.endBatch(b, 0, ErrAckTimeout)
}

// handleBatchMsg applies one answer of the server.
func (l *loop) handleBatchMsg(m *nats.Msg) error {
	b := l.bt.cur
	id, seq, ok := l.parseReply(m.Subject)
	if !ok || b == nil || id != b.id {
		return nil // an answer to a batch given up
	}
	if len(m.Data) == 0 && m.Header.Get("Status") == "503" {
		// No stream binds the subject: nothing of this message was stored.
		return l.batchRefused(b, seq, jetstream.ErrNoStreamResponse)
	}
	var r batchResponse
	if err := json.Unmarshal(m.Data, &r); err != nil {
		l.p.log.Debug("unreadable fast batch answer", "err", err)
		return nil
	}
	switch r.Type {
	case "ack":
		b.started = true
		l.bt.arm(l.p.cfg.AckTimeout)
		return l.batchStored(b, int(min(r.Seq, uint64(len(b.entries)))))
	case "err":
		if b.failErr == nil && r.Error != nil {
			b.failSeq, b.failErr = r.Seq, r.Error
		}
		b.ending = true // the server commits what it has; a PubAck follows
		return nil
	case "gap":
		b.ending = true
		return nil
	}
	switch {
	case r.Error != nil:
		return l.batchRefused(b, seq, r.Error)
	case r.Batch == "":
		// A server without fast batches stored the first message as a plain publish.
		if seq == 1 && b.acked == 0 && len(b.entries) > 0 {
			if err := l.batchStored(b, 1); err != nil {
				return err
			}
		}
		l.dropBatch(b)
		l.fallBack("plain acknowledgement", nil)
		return nil
	default:
		n := int(min(r.Count, uint64(len(b.entries))))
		if r.Duplicate && n > 0 && b.acked < n {
			l.p.metrics.duplicates.Inc()
		}
		return l.endBatch(b, n, nil)
	}
}

// batchRefused handles an error answer to message seq of b.
func (l *loop) batchRefused(b *batch, seq uint64, err error) error {
	var api *jetstream.APIError
	isAPI := errors.As(err, &api)
	if isAPI && (api.ErrorCode == errCodeBatchDisabled || api.ErrorCode == errCodeBatchInvalidPattern) {
		l.dropBatch(b)
		l.fallBack("stream refuses fast batches", err)
		return nil
	}
	if b.failErr == nil && seq <= uint64(len(b.entries)) {
		b.failSeq, b.failErr = seq, err
	}
	if seq == 1 || (isAPI && api.ErrorCode == errCodeBatchUnknownID) || seq > uint64(len(b.entries)) {
		// The batch does not exist on the server (any more): what was not
		// acknowledged is sent again in a new batch.
		return l.endBatch(b, b.acked, nil)
	}
	// The server skipped this message (too large, say) without ending the
	// batch: commit to learn how far it stored, then go on behind it.
	b.ending = true
	if !b.eob {
		l.commitBatch(b)
	}
	return nil
}

// batchStored records that the first n messages of b are stored.
func (l *loop) batchStored(b *batch, n int) error {
	if n <= b.acked {
		return nil
	}
	seqs := make([]uint64, 0, n-b.acked)
	for _, e := range b.entries[b.acked:n] {
		l.succeeded(e, false)
		seqs = append(seqs, e.rec.Seq)
	}
	b.acked = n
	return l.remove(seqs)
}

// endBatch closes b with its first n messages stored: the others wait for
// the next batch. A message the server can never store is dropped; any
// other shortfall is a failure that pauses publishing for the backoff.
func (l *loop) endBatch(b *batch, n int, err error) error {
	if l.bt != nil && l.bt.cur == b {
		l.bt.cur = nil
	}
	n = max(n, b.acked)
	if rerr := l.batchStored(b, n); rerr != nil {
		return rerr
	}
	rest := b.entries[n:]
	if len(rest) == 0 {
		return nil
	}
	for _, e := range rest {
		e.state = waiting
	}
	if b.failErr != nil && b.failSeq == uint64(n+1) {
		err = b.failErr
	}
	if err == nil {
		err = errBatchEnded
	}
	first := rest[0]
	if l.failed(first, err); first.state == acked {
		return l.remove([]uint64{first.rec.Seq})
	}
	return nil
}

// dropBatch closes b without a failure: what it did not store waits.
func (l *loop) dropBatch(b *batch) {
	if l.bt != nil && l.bt.cur == b {
		l.bt.cur = nil
	}
	for _, e := range b.entries[b.acked:] {
		e.state = waiting
	}
}

// parseReply returns the batch id and batch seq of a reply subject of this loop.
func (l *loop) parseReply(subj string) (string, uint64, bool) {
	rest, ok := strings.CutPrefix(subj, l.bt.root+".")
	if !ok {
		return "", 0, false
	}
	rest, ok = strings.CutSuffix(rest, fastBatchSuffix)
	if !ok {
		return "", 0, false
	}
	// <id>.<flow>.fail.<seq>.<op>
	parts := strings.Split(rest, ".")
	if len(parts) != 5 {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(parts[3], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return parts[0], seq, true
}
