package egress

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// progressLog collects the file progress signals of account main.
type progressLog struct {
	mu   sync.Mutex
	msgs []*nats.Msg
}

func subscribeProgress(t *testing.T, nc *nats.Conn) *progressLog {
	t.Helper()
	l := &progressLog{}
	sub, err := nc.Subscribe("tg.main.live.file.progress.>", func(m *nats.Msg) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.msgs = append(l.msgs, m)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return l
}

func (l *progressLog) all(t *testing.T) ([]*nats.Msg, []schema.FileProgress) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	bodies := make([]schema.FileProgress, len(l.msgs))
	for i, m := range l.msgs {
		if err := json.Unmarshal(m.Data, &bodies[i]); err != nil {
			t.Fatal(err)
		}
	}
	return append([]*nats.Msg(nil), l.msgs...), bodies
}

// A download of at least files.progress_bytes sends throttled progress
// signals on its chat's live subject, the last one done with every byte;
// a smaller one sends none.
func TestDownloadProgressSignals(t *testing.T) {
	h := newHarness(t, nil)
	const size = 5<<20 + 1000
	files := &fakeFiles{size: size}
	cfg := h.config()
	cfg.FileAPI = files
	cfg.Files.ProgressBytes = 1 << 20
	h.start(cfg)
	log := subscribeProgress(t, h.nc)

	start := time.Now()
	res := h.rpc(schema.CommandMediaDownload, `{"peer":{"kind":"user","id":7},"message_id":3}`, "dl-progress")
	if !res.OK {
		t.Fatalf("result %+v", res.Error)
	}
	elapsed := time.Since(start)
	if err := h.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	var msgs []*nats.Msg
	var bodies []schema.FileProgress
	testutil.Eventually(t, 10*time.Second, "the last progress signal", func() bool {
		msgs, bodies = log.all(t)
		return len(bodies) > 0 && bodies[len(bodies)-1].Done
	})
	if len(bodies) < 2 {
		t.Fatalf("%d progress signals, want at least a first and a last", len(bodies))
	}
	last := bodies[len(bodies)-1]
	if !last.Done || last.Bytes != size || last.Total != size || last.Direction != "download" ||
		last.Object != "main/user/7/3" || last.Bucket != schema.FilesBucketName("main") || last.CommandID != "dl-progress" {
		t.Errorf("last signal %+v, want done with %d of %d bytes of main/user/7/3 for dl-progress", last, size, size)
	}
	for i := 1; i < len(bodies); i++ {
		if bodies[i].Bytes < bodies[i-1].Bytes || bodies[i-1].Done {
			t.Errorf("signal %d: %+v after %+v", i, bodies[i], bodies[i-1])
		}
	}
	// Throttled: one per progressEvery at most, and the last.
	if most := int(elapsed/progressEvery) + 2; len(bodies) > most {
		t.Errorf("%d signals in %s, want at most %d", len(bodies), elapsed, most)
	}
	m := msgs[0]
	if m.Subject != "tg.main.live.file.progress.user.7" || m.Header.Get(schema.HeaderCEType) != "org.tgnats.live.file.v1" {
		t.Errorf("signal on %s type %s", m.Subject, m.Header.Get(schema.HeaderCEType))
	}

}

// A download below files.progress_bytes sends no progress signal.
func TestSmallDownloadNoProgress(t *testing.T) {
	h := newHarness(t, nil)
	cfg := h.config()
	cfg.FileAPI = &fakeFiles{size: 1 << 19}
	cfg.Files.ProgressBytes = 1 << 20
	h.start(cfg)
	log := subscribeProgress(t, h.nc)
	if res := h.rpc(schema.CommandMediaDownload, `{"peer":{"kind":"user","id":7},"message_id":3}`, "dl-small"); !res.OK {
		t.Fatalf("result %+v", res.Error)
	}
	if err := h.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if msgs, _ := log.all(t); len(msgs) != 0 {
		t.Errorf("a download below files.progress_bytes sent %d signals", len(msgs))
	}
}

// media.send of an object of at least files.progress_bytes reports its
// upload the same way.
func TestUploadProgressSignals(t *testing.T) {
	h := newHarness(t, nil)
	cfg := h.config()
	cfg.FileAPI = &fakeFiles{}
	cfg.Files.ProgressBytes = 1 << 20
	h.start(cfg)
	log := subscribeProgress(t, h.nc)
	ctx := context.Background()
	st, err := h.js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: schema.FilesBucketName("main")})
	if err != nil {
		t.Fatal(err)
	}
	const size = 3 << 20
	if _, err := st.Put(ctx, jetstream.ObjectMeta{Name: "in/up.bin"}, bytes.NewReader(content(0, size))); err != nil {
		t.Fatal(err)
	}
	if res := h.rpc(schema.CommandMediaSend, `{"peer":{"kind":"user","id":7},"media":{"type":"document","object":"in/up.bin"}}`, "up-progress"); !res.OK {
		t.Fatalf("result %+v", res.Error)
	}
	var msgs []*nats.Msg
	var bodies []schema.FileProgress
	testutil.Eventually(t, 10*time.Second, "the last progress signal", func() bool {
		msgs, bodies = log.all(t)
		return len(bodies) > 0 && bodies[len(bodies)-1].Done
	})
	last := bodies[len(bodies)-1]
	if last.Direction != "upload" || last.Bytes != size || last.Total != size || last.Object != "in/up.bin" || last.CommandID != "up-progress" {
		t.Errorf("last signal %+v", last)
	}
	if msgs[0].Subject != "tg.main.live.file.progress.user.7" {
		t.Errorf("signal on %s", msgs[0].Subject)
	}
}
