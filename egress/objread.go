package egress

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/schema"
)

// An object to upload is read chunk by chunk through an ordered pull
// consumer on the bucket's stream, chunkPrefetch chunks at a time. The
// Object Store's own Get subscribes with a push consumer that the server
// feeds as fast as it can: a reader slower than NATS (an upload to
// Telegram) then piles chunks up in the client's pending buffer and the
// server's outbound buffer, 190 MiB during a 2000 MiB upload
// (TestFiles2GB). Pulled, a transfer holds at most chunkPrefetch chunks
// (1 MiB of the 128 KiB chunks nats.go writes) whatever its size.
const chunkPrefetch = 8

// objStream is the stream of Object Store bucket.
func objStream(bucket string) string { return "OBJ_" + bucket }

// chunkSubject is the subject of the chunks of the object with nuid in
// bucket.
func chunkSubject(bucket, nuid string) string { return "$O." + bucket + ".C." + nuid }

// chunkReader reads the chunks of one object and checks its digest at the end.
type chunkReader struct {
	name   string
	it     jetstream.MessagesContext
	ctx    context.Context
	buf    []byte
	left   int64 // bytes not yet read from the stream
	h      hash.Hash
	digest string
}

// openChunks starts reading the object described by info in bucket.
func openChunks(ctx context.Context, js jetstream.JetStream, bucket string, info *jetstream.ObjectInfo) (*chunkReader, error) {
	cons, err := js.OrderedConsumer(ctx, objStream(bucket), jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{chunkSubject(bucket, info.NUID)},
	})
	if err != nil {
		return nil, fmt.Errorf("read object %s: %w", info.Name, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(chunkPrefetch))
	if err != nil {
		return nil, fmt.Errorf("read object %s: %w", info.Name, err)
	}
	return &chunkReader{name: info.Name, it: it, ctx: ctx, left: int64(info.Size), h: sha256.New(), digest: info.Digest}, nil
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.left == 0 {
			return 0, r.verify()
		}
		m, err := r.it.Next(jetstream.NextContext(r.ctx))
		if err != nil {
			return 0, fmt.Errorf("read object %s: %w", r.name, err)
		}
		data := m.Data()
		if int64(len(data)) > r.left {
			return 0, schema.NewCommandError(schema.CodeInvalidArgument, "media.object: the chunks of object %q hold more than its size", r.name)
		}
		r.left -= int64(len(data))
		r.h.Write(data)
		r.buf = data
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// verify compares the digest of what was read with the object's.
func (r *chunkReader) verify() error {
	if enc, ok := strings.CutPrefix(r.digest, "SHA-256="); ok {
		want, err := base64.URLEncoding.DecodeString(enc)
		if err == nil && !bytes.Equal(want, r.h.Sum(nil)) {
			return schema.NewCommandError(schema.CodeInvalidArgument, "media.object: the chunks of object %q do not match its digest", r.name)
		}
	}
	return io.EOF
}

// Close stops the consumer.
func (r *chunkReader) Close() { r.it.Stop() }

// chunksStored tells whether the stream still holds the last chunk of the
// object described by info (one direct get of its chunk subject, allowed
// by the files bucket's permissions): an info message whose chunks were
// purged (a writer that published it before its chunks were stored, as
// nats.go's Put does, then purged them after a refused chunk) names an
// object nothing can read.
func chunksStored(ctx context.Context, js jetstream.JetStream, bucket string, info *jetstream.ObjectInfo) (bool, error) {
	if info.Chunks == 0 || (info.Opts != nil && info.Opts.Link != nil) {
		return true, nil
	}
	reply, err := js.Conn().RequestWithContext(ctx, "$JS.API.DIRECT.GET."+objStream(bucket)+"."+chunkSubject(bucket, info.NUID), nil)
	if errors.Is(err, nats.ErrNoResponders) {
		return true, nil // a bucket made without direct gets: cannot tell, as before
	}
	if err != nil {
		return false, fmt.Errorf("look up the chunks of object %s: %w", info.Name, err)
	}
	switch st := reply.Header.Get("Status"); st {
	case "":
		return true, nil
	case "404":
		return false, nil
	default:
		return false, fmt.Errorf("look up the chunks of object %s: status %s %s", info.Name, st, reply.Header.Get("Description"))
	}
}
