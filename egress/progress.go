package egress

import (
	"sync"
	"time"

	"github.com/tgnats/tgnats/schema"
)

// Progress of transfers (files.progress_bytes): a transfer of at least
// FilesConfig.ProgressBytes sends live signals (schema.FileProgress) on
// <prefix>.<account>.live.file.progress.<peer_kind>.<peer_id>, core NATS,
// at most one per progressEvery and a last one with done set once every
// byte is moved. Best effort like the other live signals: not stored,
// dropped while NATS is disconnected.

// progressEvery is the least time between two progress signals of one
// transfer.
const progressEvery = 500 * time.Millisecond

// progress reports one transfer; a nil *progress reports nothing.
type progress struct {
	e   *Egress
	sig schema.LiveSignal

	mu   sync.Mutex
	body schema.FileProgress
	last time.Time
}

// newProgress returns the reporter of a transfer of total bytes of object
// name for c about peer, or nil when its signals are off: no threshold, no
// connection, or a transfer smaller than the threshold or of unknown size.
func (e *Egress) newProgress(c *command, peer schema.PeerRef, direction, name string, total int64) *progress {
	threshold := e.cfg.Files.ProgressBytes
	if threshold <= 0 || e.cfg.NC == nil || total < threshold {
		return nil
	}
	if !peer.Kind.Valid() {
		peer = schema.PeerRef{Kind: schema.PeerUnknown}
	}
	return &progress{
		e:   e,
		sig: schema.LiveSignal{Account: e.cfg.Account, Kind: schema.LiveFile, Action: schema.LiveProgress, Peer: peer},
		body: schema.FileProgress{Account: e.cfg.Account, Direction: direction, CommandID: c.id,
			Bucket: e.cfg.Files.Bucket, Object: name, Total: total},
	}
}

// add counts n bytes moved and sends a signal unless one went out less
// than progressEvery ago.
func (p *progress) add(n int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.body.Bytes += n
	if now := time.Now(); now.Sub(p.last) >= progressEvery {
		p.last = now
		p.send()
	}
}

// done sends the last signal of a transfer that moved every byte.
func (p *progress) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.body.Done = true
	p.send()
}

func (p *progress) send() {
	nc := p.e.cfg.NC
	if !nc.IsConnected() {
		return // stale by the reconnect
	}
	sig := p.sig
	sig.Time = time.Now()
	body := p.body
	sig.Data = &body
	msg, err := sig.Msg(p.e.cfg.Prefix)
	if err == nil {
		err = nc.PublishMsg(msg)
	}
	if err != nil {
		p.e.log.Debug("file progress not published", "object", p.body.Object, "error", err)
	}
}
