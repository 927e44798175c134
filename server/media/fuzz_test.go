package media_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/havenvr/haven/server/media"
)

// datagrams replays fixed datagrams as a remote track would deliver them.
type datagrams struct{ d [][]byte }

func (r *datagrams) Read(b []byte) (int, error) {
	if len(r.d) == 0 {
		return 0, io.EOF
	}
	n := copy(b, r.d[0])
	r.d = r.d[1:]
	return n, nil
}
func (r *datagrams) SetReadDeadline(time.Time) error { return nil }

// FuzzForward: whatever a sender's datagrams hold, Forward neither panics
// nor forwards anything that is not an RTP packet, and ends with the track.
func FuzzForward(f *testing.F) {
	good, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: 7, Timestamp: 960}, Payload: []byte{0xfc, 1, 2}}).Marshal()
	f.Add(good, []byte{0x80})
	f.Add([]byte{}, []byte{0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0, 9})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		want := uint64(0)
		for _, d := range [][]byte{a, b} {
			var p rtp.Packet
			if p.Unmarshal(d[:min(len(d), 1500)]) == nil { // Forward reads at most 1,500 bytes
				want++
			}
		}
		out, err := media.NewOut("voice", "fuzz", 0)
		if err != nil {
			t.Fatal(err)
		}
		var fan media.Fanout
		fan.Add(out)
		if err := media.Forward(context.Background(), &datagrams{d: [][]byte{a, b}}, &fan, media.Options{}); err != nil {
			t.Fatalf("Forward: %v", err)
		}
		if out.Written() != want {
			t.Fatalf("forwarded %d packets, %d were RTP", out.Written(), want)
		}
	})
}
