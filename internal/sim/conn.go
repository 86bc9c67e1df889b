package sim

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/transport"
)

// trackedListener registers every accepted connection with the simulator,
// so that DropConnections can close them and sessions can be counted.
type trackedListener struct {
	net.Listener
	sim *Sim
}

func (l *trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, sim: l.sim}
	l.sim.net.Lock()
	l.sim.conns[tc] = struct{}{}
	l.sim.net.Unlock()
	return tc, nil
}

// trackedConn is a client connection; it learns its auth key id from the
// frames the sniffing codec reads.
type trackedConn struct {
	net.Conn
	sim *Sim

	mu     sync.Mutex
	key    [8]byte
	hasKey bool
	once   sync.Once
}

func (c *trackedConn) authKey() ([8]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.key, c.hasKey
}

func (c *trackedConn) noteKey(frame []byte) {
	if len(frame) < 8 {
		return
	}
	var k [8]byte
	copy(k[:], frame[:8])
	if k == ([8]byte{}) {
		return // unencrypted key-exchange message
	}
	c.mu.Lock()
	changed := !c.hasKey || c.key != k
	c.key, c.hasKey = k, true
	c.mu.Unlock()
	if changed {
		c.sim.net.Lock()
		c.sim.noteOverlapLocked(c, k)
		c.sim.liveLocked()
		c.sim.net.Unlock()
	}
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.sim.net.Lock()
		delete(c.sim.conns, c)
		c.sim.liveLocked()
		c.sim.net.Unlock()
	})
	return err
}

const headerTimeout = 10 * time.Second

// sniffCodec detects the client's transport codec like gotd's listener
// does, and tells the connection which auth key its frames carry.
type sniffCodec struct {
	inner  transport.Codec
	reader io.Reader // replays bytes consumed by detection (full codec)
}

func newSniffCodec() transport.Codec { return &sniffCodec{} }

func (c *sniffCodec) WriteHeader(w io.Writer) error { return c.inner.WriteHeader(w) }

func (c *sniffCodec) ReadHeader(r io.Reader) error {
	// Detection runs inside Accept: do not let a silent client stall it.
	if conn, ok := r.(net.Conn); ok {
		_ = conn.SetReadDeadline(time.Now().Add(headerTimeout))
		defer func() { _ = conn.SetReadDeadline(time.Time{}) }()
	}
	var buf [4]byte
	if _, err := io.ReadFull(r, buf[:1]); err != nil {
		return fmt.Errorf("read first byte: %w", err)
	}
	if buf[0] == 0xef {
		c.inner = transport.Abridged.Codec()
		return nil
	}
	if _, err := io.ReadFull(r, buf[1:]); err != nil {
		return fmt.Errorf("read header: %w", err)
	}
	switch buf {
	case [4]byte{0xee, 0xee, 0xee, 0xee}:
		c.inner = transport.Intermediate.Codec()
	case [4]byte{0xdd, 0xdd, 0xdd, 0xdd}:
		c.inner = transport.PaddedIntermediate.Codec()
	default:
		c.inner = transport.Full.Codec()
		c.reader = io.MultiReader(bytes.NewReader(buf[:]), r)
	}
	return nil
}

func (c *sniffCodec) Write(w io.Writer, b *bin.Buffer) error { return c.inner.Write(w, b) }

func (c *sniffCodec) Read(r io.Reader, b *bin.Buffer) error {
	src := r
	if c.reader != nil {
		src = c.reader
	}
	if err := c.inner.Read(src, b); err != nil {
		return err
	}
	if tc, ok := r.(*trackedConn); ok {
		tc.noteKey(b.Buf)
	}
	return nil
}
