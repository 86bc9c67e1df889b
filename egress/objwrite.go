package egress

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// Objects are written by putObject, in the Object Store's own layout (a
// chunk stream per object, then its meta message), so nats.go's Object
// Store and every other client read them as usual. nats.go's Put is not
// used, for two reasons seen in CI with a 2000 MiB staged file:
//
//   - it keeps up to 4000 chunks in flight (500 MiB of 128 KiB chunks)
//     while a nats-server queues at most 128 MiB per stream for its disk
//     (max_buffered_size) and answers 429 to the rest, so a file read
//     faster than the server's disk writes failed to store;
//   - it publishes the meta message before it knows that every chunk was
//     stored, and purges the chunks when one was not: the name then
//     stands for an object whose chunks are gone, which a later
//     media.download took for the file, cached.
//
// putObject keeps putWindow chunks in flight, publishes the meta message
// only once every chunk is acknowledged, and purges what it wrote when it
// fails, so a failed put leaves the name as it was.
const (
	// putChunkSize is the size of a chunk, nats.go's own default.
	putChunkSize = 128 << 10
	// putWindow is the most chunks of one put not yet acknowledged: 1 MiB,
	// a small share of what a server buffers per stream, even with every
	// automatic download and a few commands writing at once.
	putWindow = 8
	// putAckWait bounds the wait for one chunk's acknowledgement.
	putAckWait = 30 * time.Second
)

// putObject stores what r yields as object meta.Name of bucket (whose
// Object Store is store) and returns its info. A put that fails leaves no
// chunk behind and the name as it was; one that succeeds deletes the
// chunks of the object it replaced.
func putObject(ctx context.Context, js jetstream.JetStream, store jetstream.ObjectStore, bucket string, meta jetstream.ObjectMeta, r io.Reader) (*jetstream.ObjectInfo, error) {
	if meta.Name == "" {
		return nil, jetstream.ErrBadObjectMeta
	}
	if meta.Opts == nil {
		meta.Opts = &jetstream.ObjectMetaOptions{}
	}
	meta.Opts.ChunkSize = putChunkSize
	prev, err := store.GetInfo(ctx, meta.Name, jetstream.GetObjectInfoShowDeleted())
	if err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, err
	}
	id := nuid.Next()
	w := &chunkWriter{js: js, stream: objStream(bucket), subject: chunkSubject(bucket, id)}
	info := &jetstream.ObjectInfo{ObjectMeta: meta, Bucket: bucket, NUID: id}
	h := sha256.New()
	for {
		buf, err := w.next(ctx)
		if err != nil {
			w.abort(ctx)
			return nil, err
		}
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			h.Write(buf[:n])
			if err := w.publish(buf[:n]); err != nil {
				w.abort(ctx)
				return nil, err
			}
			info.Size += uint64(n)
			info.Chunks++
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			w.abort(ctx)
			return nil, rerr
		}
	}
	if err := w.flush(ctx); err != nil {
		w.abort(ctx)
		return nil, err
	}
	info.Digest = "SHA-256=" + base64.URLEncoding.EncodeToString(h.Sum(nil))

	// Every chunk is stored: the meta message names them, replacing the
	// name's earlier meta (a subject rollup).
	m := nats.NewMsg("$O." + bucket + ".M." + base64.URLEncoding.EncodeToString([]byte(meta.Name)))
	m.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	if m.Data, err = json.Marshal(info); err != nil {
		w.abort(ctx)
		return nil, fmt.Errorf("object %s: %w", meta.Name, err)
	}
	if _, err := js.PublishMsg(ctx, m); err != nil {
		w.abort(ctx)
		return nil, fmt.Errorf("object %s: meta: %w", meta.Name, err)
	}
	info.ModTime = time.Now().UTC()
	if prev != nil && !prev.Deleted {
		// The object is whole whatever comes of this: chunks not purged
		// only take space until the bucket's TTL.
		_ = w.purge(ctx, chunkSubject(bucket, prev.NUID))
	}
	return info, nil
}

// chunkWriter publishes the chunks of one object, at most putWindow at a
// time, reusing their buffers once acknowledged.
type chunkWriter struct {
	js      jetstream.JetStream
	subject string
	bufs    [putWindow][]byte
	pending []jetstream.PubAckFuture // oldest first
	stream  string                   // the bucket's stream
	sent    int                      // chunks published
}

// next returns the buffer for the next chunk, once the chunk that used
// it is acknowledged: nats.go keeps a chunk's message until then, to
// publish it again when the stream had no responders for a moment.
func (w *chunkWriter) next(ctx context.Context) ([]byte, error) {
	if len(w.pending) == putWindow {
		if err := w.await(ctx); err != nil {
			return nil, err
		}
	}
	i := w.sent % putWindow
	if w.bufs[i] == nil {
		w.bufs[i] = make([]byte, putChunkSize)
	}
	return w.bufs[i], nil
}

// publish sends a chunk read into the buffer next returned.
func (w *chunkWriter) publish(data []byte) error {
	f, err := w.js.PublishMsgAsync(&nats.Msg{Subject: w.subject, Data: data})
	if err != nil {
		return fmt.Errorf("object chunk: %w", err)
	}
	w.pending = append(w.pending, f)
	w.sent++
	return nil
}

// await waits for the oldest chunk in flight to be stored.
func (w *chunkWriter) await(ctx context.Context) error {
	f := w.pending[0]
	w.pending = w.pending[1:]
	timer := time.NewTimer(putAckWait)
	defer timer.Stop()
	select {
	case <-f.Ok():
		return nil
	case err := <-f.Err():
		return fmt.Errorf("object chunk: %w", err)
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return fmt.Errorf("object chunk: no acknowledgement in %v: %w", putAckWait, nats.ErrTimeout)
	}
}

// flush waits for every chunk in flight to be stored.
func (w *chunkWriter) flush(ctx context.Context) error {
	for len(w.pending) > 0 {
		if err := w.await(ctx); err != nil {
			return err
		}
	}
	return nil
}

// abort purges every chunk written: it first waits, within a grace, for
// those still in flight, so none lands after the purge.
func (w *chunkWriter) abort(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for len(w.pending) > 0 {
		if err := w.await(ctx); err != nil && ctx.Err() != nil {
			break
		}
	}
	if w.sent > 0 {
		_ = w.purge(ctx, w.subject)
	}
}

// purge deletes the messages of subject from the bucket's stream through
// the JetStream API's purge alone (the permissions the README lists for
// the files bucket include no stream info).
func (w *chunkWriter) purge(ctx context.Context, subject string) error {
	req, err := json.Marshal(struct {
		Filter string `json:"filter"`
	}{subject})
	if err != nil {
		return err
	}
	reply, err := w.js.Conn().RequestWithContext(ctx, "$JS.API.STREAM.PURGE."+w.stream, req)
	if err != nil {
		return fmt.Errorf("purge %s: %w", subject, err)
	}
	var res struct {
		Success bool                `json:"success"`
		Error   *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(reply.Data, &res); err != nil {
		return fmt.Errorf("purge %s: %w", subject, err)
	}
	if res.Error != nil {
		return fmt.Errorf("purge %s: %w", subject, res.Error)
	}
	if !res.Success {
		return fmt.Errorf("purge %s: not done", subject)
	}
	return nil
}
