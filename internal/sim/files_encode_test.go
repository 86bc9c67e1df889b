package sim

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
)

// TestFileContentAnyRange checks generated content at unaligned offsets
// and lengths against its definition: word i is splitmix64(seed+i),
// little-endian.
func TestFileContentAnyRange(t *testing.T) {
	const seed = 12345
	want := make([]byte, 4096)
	for i := range len(want) / 8 {
		binary.LittleEndian.PutUint64(want[i*8:], splitmix64(seed+uint64(i)))
	}
	for _, off := range []int{0, 1, 7, 8, 9, 1000, 4087} {
		for _, n := range []int{0, 1, 3, 7, 8, 9, 15, 16, 17, 100} {
			if off+n > len(want) {
				continue
			}
			got := make([]byte, n)
			fileAt(seed, int64(off), got)
			if !bytes.Equal(got, want[off:off+n]) {
				t.Errorf("fileAt(off %d, n %d) = %x, want %x", off, n, got, want[off:off+n])
			}
		}
	}
}

// TestGetFileResultEncoding checks that a part, written in place, is what
// tg.UploadFile would encode, for short and long parts and uploaded blobs.
func TestGetFileResultEncoding(t *testing.T) {
	blob := bytes.Repeat([]byte("uploaded"), 1000)
	for _, r := range []getFileResult{
		{media: mediaInfo{ID: 7}, offset: 0, n: 1 << 20, mtime: 1700000000},
		{media: mediaInfo{ID: 7}, offset: 4096, n: 5000, mtime: 1},
		{media: mediaInfo{ID: 7}, offset: 8192, n: 253, mtime: 1},
		{media: mediaInfo{ID: 7}, offset: 8192, n: 254, mtime: 1},
		{media: mediaInfo{ID: 7}, offset: 8192, n: 257, mtime: 1},
		{media: mediaInfo{ID: 7}, thumb: "m", offset: 0, n: 4096},
		{media: mediaInfo{ID: 7}, offset: 0, n: 0},
		{media: mediaInfo{ID: 8, Blob: blob}, offset: 4096, n: len(blob) - 4096},
	} {
		var got bin.Buffer
		if err := r.Encode(&got); err != nil {
			t.Fatal(err)
		}
		data := make([]byte, r.n)
		if r.media.Blob != nil {
			copy(data, r.media.Blob[r.offset:])
		} else {
			seed := fileSeed(r.media.ID, "")
			if r.thumb != "" {
				seed = fileSeed(r.media.ID, r.thumb)
			}
			fileAt(seed, r.offset, data)
		}
		var want bin.Buffer
		if err := (&tg.UploadFile{Type: &tg.StorageFilePartial{}, Mtime: r.mtime, Bytes: data}).Encode(&want); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Buf, want.Buf) {
			t.Errorf("part of %d bytes at %d: encoding differs from tg.UploadFile's (%d bytes, want %d)", r.n, r.offset, got.Len(), want.Len())
		}
	}
}
