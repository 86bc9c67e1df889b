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
	d := decoder{b: b[9:]}
	r := OutboxRecord{Seq: seq, Created: created}
	r.Subject = d.string()
	r.MsgID = d.string()
	if names := d.count(); names > 0 {
		r.Header = make(map[string][]string, names)
		for range names {
			name := d.string()
			vals := make([]string, d.count())
			for i := range vals {
				vals[i] = d.string()
			}
			r.Header[name] = vals
		}
	}
	r.Data = d.bytes()
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return OutboxRecord{}, fmt.Errorf("%w: outbox record %d: %w", ErrCorrupt, seq, d.err)
	}
	return r, nil
}

// decoder reads the primitives of encodeRecord; the first failure sticks
// and later reads return zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = fmt.Errorf("bad length")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a number of items, each at least one byte long, so a corrupt
// count cannot make the decoder allocate more than the input could hold.
func (d *decoder) count() int {
	v := d.uvarint()
	if v > uint64(len(d.b)) {
		if d.err == nil {
			d.err = fmt.Errorf("count %d beyond %d bytes", v, len(d.b))
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
	out := append([]byte(nil), d.b[:n]...) // callers pass iterator memory
	d.b = d.b[n:]
	return out
}

func (d *decoder) string() string { return string(d.bytes()) }
