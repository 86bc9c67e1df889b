package state

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"
)

// Outbox record encoding, version 1 (the seq lives in the key):
//
//	byte     record encoding version (1)
//	8 bytes  created, unix nanoseconds, big-endian (fixed offset: read on its own for stats)
//	str      subject
//	str      msg id
//	uvarint  number of header names, then per name in sorted order:
//	         str name, uvarint number of values, str value...
//	str      data
//
// where str is a uvarint length followed by that many bytes.
const recordEncoding byte = 1

func encodeRecord(r *OutboxRecord) []byte {
	n := 1 + 8 + 3*binary.MaxVarintLen64 + len(r.Subject) + len(r.MsgID) + len(r.Data)
	names := make([]string, 0, len(r.Header))
	for name, vals := range r.Header {
		names = append(names, name)
		n += 2*binary.MaxVarintLen64 + len(name)
		for _, v := range vals {
			n += binary.MaxVarintLen64 + len(v)
		}
	}
	slices.Sort(names)
	b := make([]byte, 0, n)
	b = append(b, recordEncoding)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Created.UnixNano()))
	b = appendString(b, r.Subject)
	b = appendString(b, r.MsgID)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, name := range names {
		vals := r.Header[name]
		b = appendString(b, name)
		b = binary.AppendUvarint(b, uint64(len(vals)))
		for _, v := range vals {
			b = appendString(b, v)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(r.Data)))
	return append(b, r.Data...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// recordCreated reads only the created time of an encoded record.
func recordCreated(b []byte) (time.Time, error) {
	if len(b) < 9 || b[0] != recordEncoding {
		return time.Time{}, fmt.Errorf("%w: outbox record header", ErrCorrupt)
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b[1:9]))), nil
}

func decodeRecord(seq uint64, b []byte) (OutboxRecord, error) {
	created, err := recordCreated(b)
	if err != nil {
		return OutboxRecord{}, err
	}
	// One copy of the fields before Data (callers pass iterator memory)
	// holds every string; Data gets its own.
	body := b[9:]
	d := decoder{b: body, s: string(body[:stringsEnd(body)])}
	r := OutboxRecord{Seq: seq, Created: created}
	r.Subject = d.string()
	r.MsgID = d.string()
	if names := d.count(); names > 0 {
		r.Header = make(map[string][]string, names)
		all := make([]string, 0, names)
		for range names {
			name := d.string()
			start := len(all)
			for range d.count() {
				all = append(all, d.string())
			}
			r.Header[name] = all[start:len(all):len(all)]
		}
	}
	r.Data = d.bytes()
	if d.err == nil && d.off != len(d.b) {
		d.err = fmt.Errorf("%d trailing bytes", len(d.b)-d.off)
	}
	if d.err != nil {
		return OutboxRecord{}, fmt.Errorf("%w: outbox record %d: %w", ErrCorrupt, seq, d.err)
	}
	return r, nil
}

// decoder reads the primitives of encodeRecord from b, whose copy s the
// strings it returns share; the first failure sticks and later reads
// return zero values.
type decoder struct {
	b   []byte
	s   string
	off int
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.err = fmt.Errorf("bad length")
		return 0
	}
	d.off += n
	return v
}

// count reads a number of items, each at least one byte long, so a corrupt
// count cannot exceed what is left.
func (d *decoder) count() int {
	v := d.uvarint()
	if v > uint64(len(d.b)-d.off) {
		if d.err == nil {
			d.err = fmt.Errorf("count %d beyond %d bytes", v, len(d.b)-d.off)
		}
		return 0
	}
	return int(v)
}

func (d *decoder) bytes() []byte {
	n := d.count()
	if d.err != nil {
		return nil
	}
	out := append([]byte(nil), d.b[d.off:d.off+n]...) // callers pass iterator memory
	d.off += n
	return out
}

func (d *decoder) string() string {
	n := d.count()
	if d.err != nil {
		return ""
	}
	if d.off+n > len(d.s) {
		d.err = fmt.Errorf("string beyond the fields")
		return ""
	}
	out := d.s[d.off : d.off+n]
	d.off += n
	return out
}

func (d *decoder) skip() { d.off += d.count() }

// stringsEnd returns where the strings of an encoded record body end (its
// Data field begins); a corrupt body is left for the decoding to report.
func stringsEnd(b []byte) int {
	d := decoder{b: b}
	d.skip() // subject
	d.skip() // msg id
	for range d.count() {
		d.skip()
		for range d.count() {
			d.skip()
		}
	}
	if d.err != nil {
		return len(b)
	}
	return d.off
}
