// Package media forwards Opus voice between the peers of one live session
// (or one support room) through the server, with pion.
//
// Nothing is decoded, mixed, recorded or stored: each RTP packet goes from
// the sender's SRTP context to each receiver's, with only its header
// rewritten, and is gone once written. There is no buffer beyond pion's own,
// no file and no database row: voice is never recorded (docs/threat-model.md).
//
// The API is three pieces:
//   - Out is one outgoing voice track towards one receiving peer. It takes
//     packets from successive (or competing) senders and keeps the stream
//     the receiver sees continuous.
//   - Fanout is the set of Outs a sender's voice goes to; it may change while
//     packets flow, without a lock on the packet path.
//   - Forward reads a sender's remote track and writes each packet to the
//     Outs of a Fanout until the track ends or its context is cancelled.
//
// Who hears whom (and, in a support room, which speakers get a slot) is the
// caller's policy: it decides which Outs are in which Fanout.
package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Opus is the only codec forwarded: 48 kHz, stereo in SDP as RFC 7587
// requires, with in-band FEC so a lost packet is concealed by the next.
var Opus = webrtc.RTPCodecParameters{
	RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
		SDPFmtpLine: "minptime=10;useinbandfec=1"},
	PayloadType: 111,
}

// RegisterOpus registers Opus on m, with the RTP audio-level header
// extension (RFC 6464): browsers then mark each packet with its level, which
// a support circle reads to pick its loudest speakers without decoding
// anything (server/groups/voice.go); Out drops it on the way out. No video
// codec is registered anywhere: an offered video section is rejected in the
// answer.
func RegisterOpus(m *webrtc.MediaEngine) error {
	if err := m.RegisterCodec(Opus, webrtc.RTPCodecTypeAudio); err != nil {
		return fmt.Errorf("media: registering Opus: %w", err)
	}
	if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.AudioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		return fmt.Errorf("media: registering the audio-level extension: %w", err)
	}
	return nil
}

// frameTicks is one 20 ms Opus frame at 48 kHz: the least a new sender's
// first timestamp moves past the previous sender's last.
const frameTicks = 960

// ErrBusy is returned by Out.Write for a packet of a sender other than the
// one that holds the track (see NewOut's hold).
var ErrBusy = errors.New("media: track held by another sender")

// Out is one outgoing Opus track towards one receiving peer.
type Out struct {
	track *webrtc.TrackLocalStaticRTP
	hold  time.Duration

	mu      sync.Mutex
	src     *Source // sender whose packets the track carries now
	lastAt  time.Time
	started bool
	seqOff  uint16
	tsOff   uint32
	lastSeq uint16 // last sequence number and timestamp written
	lastTS  uint32
	written atomic.Uint64
	busy    atomic.Uint64
}

// NewOut makes an outgoing track; id and streamID appear in the receiver's
// SDP (msid), so a client can tell its incoming voices apart.
//
// hold is how long the track stays with a sender after its last packet: a
// packet from another sender within that time is refused with ErrBusy, so
// two voices never interleave on one track. Zero hands the track to whoever
// sends, at once.
func NewOut(id, streamID string, hold time.Duration) (*Out, error) {
	t, err := webrtc.NewTrackLocalStaticRTP(Opus.RTPCodecCapability, id, streamID)
	if err != nil {
		return nil, fmt.Errorf("media: new track %s: %w", id, err)
	}
	return &Out{track: t, hold: hold}, nil
}

// Track is what the caller adds to the receiving peer connection (AddTrack,
// or a transceiver's sender ReplaceTrack).
func (o *Out) Track() *webrtc.TrackLocalStaticRTP { return o.track }

// Written and Refused count packets written and refused with ErrBusy.
func (o *Out) Written() uint64 { return o.written.Load() }

// Refused counts packets refused because another sender held the track.
func (o *Out) Refused() uint64 { return o.busy.Load() }

// Write sends one packet of sender src, received at now. pkt is not modified.
//
// Sequence numbers and timestamps are rewritten so that the receiver sees
// one continuous stream across senders: a new SSRC with a random sequence
// number inside the same SRTP context is discarded by the receiver as a
// replay (seen in Chromium: "Failed to unprotect RTP packet"). On a change of
// sender the next sequence number follows the last one written and the
// timestamp advances by the wall-clock time since, at least one frame; the
// marker bit starts the new talkspurt. Header extensions are dropped: their
// ids are negotiated per connection and mean nothing on another.
func (o *Out) Write(src *Source, pkt *rtp.Packet, now time.Time) error {
	h := pkt.Header
	o.mu.Lock()
	if o.src != src {
		if o.src != nil && o.hold > 0 && now.Sub(o.lastAt) < o.hold {
			o.mu.Unlock()
			o.busy.Add(1)
			return ErrBusy
		}
		seq, ts := h.SequenceNumber, h.Timestamp
		if o.started {
			adv := uint32(now.Sub(o.lastAt).Seconds() * float64(Opus.ClockRate))
			o.seqOff = o.lastSeq + 1 - seq
			o.tsOff = o.lastTS + max(adv, frameTicks) - ts
		}
		o.src = src
		h.Marker = true
	}
	h.SequenceNumber += o.seqOff
	h.Timestamp += o.tsOff
	o.lastSeq, o.lastTS, o.lastAt, o.started = h.SequenceNumber, h.Timestamp, now, true
	o.mu.Unlock()
	h.Extension, h.Extensions, h.ExtensionProfile = false, nil, 0
	if err := o.track.WriteRTP(&rtp.Packet{Header: h, Payload: pkt.Payload}); err != nil && !errors.Is(err, io.ErrClosedPipe) {
		return fmt.Errorf("media: writing %s: %w", o.track.ID(), err)
	}
	o.written.Add(1)
	return nil
}

// Source identifies one sender's stream to the Outs it writes to; Forward
// makes one per track. A caller with its own read loop makes one per
// sender with NewSource.
type Source struct{ _ byte } // not zero-sized: distinct sources must have distinct addresses

// NewSource returns a new sender identity.
func NewSource() *Source { return &Source{} }

// Fanout is the set of Outs one sender's voice goes to. Reads (one per
// packet) take no lock; changes copy the set.
type Fanout struct {
	mu  sync.Mutex
	cur atomic.Pointer[[]*Out]
}

// Add puts o in the set (once).
func (f *Fanout) Add(o *Out) {
	f.mu.Lock()
	defer f.mu.Unlock()
	old := f.Outs()
	for _, x := range old {
		if x == o {
			return
		}
	}
	next := append(append(make([]*Out, 0, len(old)+1), old...), o)
	f.cur.Store(&next)
}

// Remove takes o out of the set.
func (f *Fanout) Remove(o *Out) {
	f.mu.Lock()
	defer f.mu.Unlock()
	old := f.Outs()
	next := make([]*Out, 0, len(old))
	for _, x := range old {
		if x != o {
			next = append(next, x)
		}
	}
	f.cur.Store(&next)
}

// Outs is the current set; callers must not modify it.
func (f *Fanout) Outs() []*Out {
	if p := f.cur.Load(); p != nil {
		return *p
	}
	return nil
}

// Reader is the part of a remote track Forward uses (*webrtc.TrackRemote).
type Reader interface {
	Read(b []byte) (int, error)
	SetReadDeadline(t time.Time) error
}

// Track adapts a pion remote track to Reader.
func Track(t *webrtc.TrackRemote) Reader { return remote{t} }

type remote struct{ t *webrtc.TrackRemote }

func (r remote) Read(b []byte) (int, error) {
	n, _, err := r.t.Read(b)
	return n, err
}
func (r remote) SetReadDeadline(t time.Time) error { return r.t.SetReadDeadline(t) }

// Options tune Forward.
type Options struct {
	// OnPacket, when set, is called after each packet with the time its
	// read returned and the time its last write returned (the server's
	// forwarding delay, for benchmarks and metrics) and how many Outs took it.
	OnPacket func(in, out time.Time, wrote int)
}

// maxPacket bounds one RTP packet read (an Opus packet is at most a few
// hundred bytes; anything larger than a UDP datagram on Ethernet is refused).
const maxPacket = 1500

// Forward copies the sender's packets from in to every Out of to until the
// track ends (its connection closes or its transceiver stops: nil) or ctx is
// cancelled (ctx.Err()). It blocks; run it on its own goroutine per track.
// A packet that is not RTP is skipped; a refused (ErrBusy) or failed write to
// one Out does not stop the others.
func Forward(ctx context.Context, in Reader, to *Fanout, opts Options) error {
	stop := context.AfterFunc(ctx, func() { _ = in.SetReadDeadline(time.Now()) })
	defer stop()
	src := NewSource()
	buf := make([]byte, maxPacket)
	var pkt rtp.Packet
	for {
		n, err := in.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) {
				return nil
			}
			return fmt.Errorf("media: reading: %w", err)
		}
		now := time.Now()
		if err := pkt.Unmarshal(buf[:n]); err != nil {
			continue
		}
		wrote := 0
		for _, o := range to.Outs() {
			if o.Write(src, &pkt, now) == nil {
				wrote++
			}
		}
		if opts.OnPacket != nil {
			opts.OnPacket(now, time.Now(), wrote)
		}
	}
}
