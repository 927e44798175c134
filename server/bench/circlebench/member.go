// Package circlebench measures a support circle's voice (issue 22): M real
// pion members in one circle of an in-process server on loopback, S of them
// speaking at a time in 20 ms Opus-sized packets marked with the RTP
// audio-level extension, every member sending its pose at 20 Hz. The server
// forwards to each listener only the loudest MaxSpeakers voices; the run
// reports the server's forwarding delay, how many voices each listener
// received at once, packets lost, CPU and bytes per member.
// `haven bench circle` prints its Result; the groups tests use Member as a
// circle client.
package circlebench

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/media"
	"github.com/havenvr/haven/server/rtc"
)

// PacketBytes is the payload of one simulated 20 ms Opus frame (about
// 32 kbit/s, the rate browsers use for speech).
const PacketBytes = 80

// Frame is a decoded server frame on the chat channel.
type Frame struct {
	Type string         `json:"type"`
	Body map[string]any `json:"body"`
}

// Member is one circle member as a Go pion peer: the chat channel, the
// voice slots (receive only, the offer's first audio sections) and a
// microphone track, as clients/room/src/voice.js sets them up.
type Member struct {
	ID     string // member id (presence id)
	Token  string
	cp     *rtc.ClientPeer
	mic    *webrtc.TrackLocalStaticRTP
	ext    uint8 // negotiated audio-level extension id (0: none)
	seq    uint16
	ts     uint32
	frames chan Frame

	// Received counts voice packets per slot; Bytes counts every byte
	// received (voice and chat channel).
	Received [groups.MaxSpeakers]atomic.Int64
	Bytes    atomic.Int64
	// PoseEntries counts the members' poses that arrived (a circle.poses frame carries several).
	PoseEntries atomic.Int64
	sent        atomic.Int64  // voice packets sent (Speak)
	poses       atomic.Int64  // circle.poses frames received
	gone        chan struct{} // closed when the chat channel closes
	goneOnce    sync.Once
	onPacket    func(slot int)
	mu          sync.Mutex
	span        [groups.MaxSpeakers]seqSpan // guarded by mu
}

// seqSpan follows one slot's RTP sequence numbers (continuous across
// speakers: package media's Out rewrites them), so that the packets a slot
// should have delivered are known from its first and last number.
type seqSpan struct {
	have        bool
	last        uint16
	ext, lo, hi int64
}

func (s *seqSpan) add(seq uint16) {
	if !s.have {
		s.have, s.last = true, seq
		return
	}
	s.ext += int64(int16(seq - s.last))
	s.last = seq
	s.lo, s.hi = min(s.lo, s.ext), max(s.hi, s.ext)
}

// Expected is the packets the slots' sequence numbers span: what should
// have arrived.
func (m *Member) Expected() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for _, s := range m.span {
		if s.have {
			n += s.hi - s.lo + 1
		}
	}
	return n
}

// Join joins the circle with code at base (no lobby assumed) and connects
// its peer; onPacket, when set, is called for every voice packet received.
func Join(ctx context.Context, api *webrtc.API, hc *http.Client, base, code string, onPacket func(slot int)) (*Member, error) {
	body, _ := json.Marshal(map[string]any{"code": code, "accept_rules": true})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/groups/join", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("circlebench: join: %w", err)
	}
	var jr groups.JoinResponse
	err = json.NewDecoder(resp.Body).Decode(&jr)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("circlebench: join: status %d: %v", resp.StatusCode, err)
	}
	m := &Member{ID: jr.MemberID, Token: jr.Token, frames: make(chan Frame, 8192), onPacket: onPacket, gone: make(chan struct{})}
	return m, m.dial(ctx, api, hc, base+"/api/groups/rooms/"+jr.RoomID+"/peer")
}

func (m *Member) dial(ctx context.Context, api *webrtc.API, hc *http.Client, url string) error {
	mic, err := webrtc.NewTrackLocalStaticRTP(media.Opus.RTPCodecCapability, "mic", "mic")
	if err != nil {
		return err
	}
	m.mic = mic
	var micSender *webrtc.RTPSender
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cp, err := rtc.Dial(dctx, api, rtc.DialOptions{URL: url, HTTP: hc, Header: http.Header{"Authorization": {"Bearer " + m.Token}},
		Channels: []string{"chat"},
		OnMessage: func(_ string, msg webrtc.DataChannelMessage) {
			m.Bytes.Add(int64(len(msg.Data)))
			for line := range bytes.SplitSeq(msg.Data, []byte{'\n'}) {
				var f Frame
				if json.Unmarshal(line, &f) != nil {
					continue
				}
				if f.Type == "circle.poses" { // counted, never kept
					m.poses.Add(1)
					if p, ok := f.Body["p"].(map[string]any); ok {
						m.PoseEntries.Add(int64(len(p)))
					}
					continue
				}
				select {
				case m.frames <- f:
				default:
				}
			}
		},
		Prepare: func(pc *webrtc.PeerConnection) error {
			for range groups.MaxSpeakers {
				if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
					return err
				}
			}
			// a transceiver of its own: AddTrack would reuse a slot's
			t, err := pc.AddTransceiverFromTrack(mic, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
			if err != nil {
				return err
			}
			micSender = t.Sender()
			pc.OnTrack(m.read)
			return nil
		}})
	if err != nil {
		return fmt.Errorf("circlebench: dial: %w", err)
	}
	m.cp = cp
	cp.Channels["chat"].OnClose(func() { m.goneOnce.Do(func() { close(m.gone) }) })
	for _, h := range micSender.GetParameters().HeaderExtensions {
		if h.URI == sdp.AudioLevelURI {
			m.ext = uint8(h.ID)
		}
	}
	go func() { // RTCP from the server: drained
		buf := make([]byte, 1500)
		for {
			if _, _, err := micSender.Read(buf); err != nil {
				return
			}
		}
	}()
	return nil
}

// read counts the packets of one incoming voice slot ("slot0"…).
func (m *Member) read(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	slot := -1
	if n, ok := strings.CutPrefix(t.StreamID(), "slot"); ok && len(n) == 1 && n[0] >= '0' && n[0] < '0'+groups.MaxSpeakers {
		slot = int(n[0] - '0')
	}
	buf := make([]byte, 1500)
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		if slot < 0 || n < 12 {
			continue
		}
		m.mu.Lock()
		m.span[slot].add(binary.BigEndian.Uint16(buf[2:4]))
		m.mu.Unlock()
		m.Bytes.Add(int64(n))
		m.Received[slot].Add(1)
		if m.onPacket != nil {
			m.onPacket(slot)
		}
	}
}

// Speak sends one 20 ms voice packet at audio level dbov (0 loudest, 127
// silence).
func (m *Member) Speak(dbov uint8) error {
	m.mu.Lock()
	m.seq++
	m.ts += 960
	h := rtp.Header{Version: 2, PayloadType: uint8(media.Opus.PayloadType), SequenceNumber: m.seq, Timestamp: m.ts}
	m.mu.Unlock()
	if m.ext != 0 {
		if err := h.SetExtension(m.ext, []byte{0x80 | dbov&0x7f}); err != nil {
			return err
		}
	}
	payload := make([]byte, PacketBytes)
	payload[0] = 0x78 // a plausible Opus TOC byte (SILK wideband, 20 ms)
	if err := m.mic.WriteRTP(&rtp.Packet{Header: h, Payload: payload}); err != nil {
		return err
	}
	m.sent.Add(1)
	return nil
}

// Sent is how many voice packets Speak has sent: a test's measure of time
// that slows down with the sender on a busy machine.
func (m *Member) Sent() int64 { return m.sent.Load() }

// Send puts one frame on the chat channel.
func (m *Member) Send(typ string, body any) error {
	b, _ := json.Marshal(map[string]any{"v": 1, "type": typ, "body": body})
	return m.cp.Channels["chat"].Send(b)
}

// Expect waits up to d for a frame of typ for which match holds (nil: any),
// skipping others; pose frames are never kept.
func (m *Member) Expect(d time.Duration, typ string, match func(Frame) bool) (Frame, error) {
	deadline := time.After(d)
	for {
		select {
		case f := <-m.frames:
			if f.Type == typ && (match == nil || match(f)) {
				return f, nil
			}
		case <-deadline:
			return Frame{}, fmt.Errorf("circlebench: no %s frame within %s", typ, d)
		}
	}
}

// Seen takes the frames that have arrived so far, without waiting, and
// reports the first of typ for which match holds (nil: any); the frames
// before it are skipped, as Expect skips them.
func (m *Member) Seen(typ string, match func(Frame) bool) (Frame, bool) {
	for {
		select {
		case f := <-m.frames:
			if f.Type == typ && (match == nil || match(f)) {
				return f, true
			}
		default:
			return Frame{}, false
		}
	}
}

// Poses is how many circle.poses frames have arrived (their content is not kept).
func (m *Member) Poses() int64 { return m.poses.Load() }

// Gone is closed once the server has closed the member's chat channel.
func (m *Member) Gone() <-chan struct{} { return m.gone }

// Total is the voice packets received on all slots.
func (m *Member) Total() int64 {
	var n int64
	for i := range m.Received {
		n += m.Received[i].Load()
	}
	return n
}

// Close hangs up.
func (m *Member) Close() error {
	if m.cp == nil {
		return nil
	}
	return m.cp.Close()
}
