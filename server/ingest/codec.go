// Package ingest stores biosignal batches durably: a group-committing writer
// (many sessions' batches in one SQLite transaction), acknowledgement only
// after commit, idempotent by (session, stream, seq), and a compact codec so
// one row holds a whole batch yet reads back exactly for exports.
package ingest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/havenvr/haven/server/biosignal"
)

// codecV1 layout: version byte, uvarint count, then per sample: stream index
// byte, flags byte, zig-zag varint time delta (ms, from the previous sample;
// the first from 0 = unix ms), float64 value (8 bytes, exact). ~12 bytes per
// sample; a 250 ms batch of 32 Hz EDA is ~100 bytes.
const codecV1 = 1

var errCorrupt = errors.New("ingest: corrupt sample chunk")

func streamIndex(s biosignal.Stream) (byte, error) {
	for i, x := range biosignal.Streams {
		if x == s {
			return byte(i), nil
		}
	}
	return 0, fmt.Errorf("ingest: unknown stream %q", s)
}

// Encode appends the encoding of samples to dst.
func Encode(dst []byte, samples []biosignal.Sample) ([]byte, error) {
	dst = append(dst, codecV1)
	dst = binary.AppendUvarint(dst, uint64(len(samples)))
	var prev int64
	for _, s := range samples {
		si, err := streamIndex(s.Stream)
		if err != nil {
			return nil, err
		}
		dst = append(dst, si, byte(s.Flags))
		dst = binary.AppendVarint(dst, s.T-prev)
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(s.V))
		prev = s.T
	}
	return dst, nil
}

// Decode reverses Encode, appending to dst.
func Decode(dst []biosignal.Sample, data []byte) ([]biosignal.Sample, error) {
	if len(data) == 0 || data[0] != codecV1 {
		return nil, errCorrupt
	}
	data = data[1:]
	n, k := binary.Uvarint(data)
	if k <= 0 || n > uint64(len(data)) {
		return nil, errCorrupt
	}
	data = data[k:]
	var prev int64
	for range n {
		if len(data) < 2 || int(data[0]) >= len(biosignal.Streams) {
			return nil, errCorrupt
		}
		st, fl := biosignal.Streams[data[0]], biosignal.Flag(data[1])
		d, k := binary.Varint(data[2:])
		if k <= 0 || len(data) < 2+k+8 {
			return nil, errCorrupt
		}
		prev += d
		v := math.Float64frombits(binary.LittleEndian.Uint64(data[2+k:]))
		dst = append(dst, biosignal.Sample{Stream: st, T: prev, V: v, Flags: fl})
		data = data[2+k+8:]
	}
	if len(data) != 0 {
		return nil, errCorrupt
	}
	return dst, nil
}
