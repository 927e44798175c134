package live

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/media"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/wire"
)

// Voice (issue 18): the therapist and the patient talk over the session's
// own peer connections, through the server (server/media), never recorded.
// Who hears whom:
//   - the patient hears the therapist;
//   - the therapist hears the patient;
//   - an observer hears both, on two tracks, and never sends.
//
// A client adds its microphone by renegotiating (PATCH with a new offer);
// the data channels are untouched by it. Each side's microphone state
// travels as voice.state on control.

// voiceHold is how long the therapist's voice track stays with the console
// that last spoke (two consoles of one therapist never interleave): longer
// than the gap between two 20 ms packets under jitter, shorter than a turn.
const voiceHold = 400 * time.Millisecond

// voiceRouting is a room's fan-out of each side's voice. The Fanouts are
// read lock-free per packet; the mic states are the room owner's.
type voiceRouting struct {
	fromPatient   media.Fanout // towards every console
	fromTherapist media.Fanout // towards the patient and the observers
	mic           map[string]string
}

// peerVoice is one connection's voice: the tracks it hears, in the order
// its offer's audio sections take them, and its forwarders' lifetime.
type peerVoice struct {
	room   *room
	role   string
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex // one negotiation at a time
	hear     []*media.Out
	fans     []*media.Fanout
	attached int
}

// newPeerVoice makes the outgoing tracks a peer of role hears and puts them
// in the room's fan-outs (a track without a connection yet writes nowhere).
func (r *room) newPeerVoice(role string) (*peerVoice, error) {
	ctx, cancel := context.WithCancel(context.Background())
	v := &peerVoice{room: r, role: role, ctx: ctx, cancel: cancel}
	var from []string
	switch role {
	case rolePatient:
		from = []string{roleTherapist}
	case roleTherapist:
		from = []string{rolePatient}
	default:
		from = []string{rolePatient, roleTherapist}
	}
	for _, src := range from {
		out, err := media.NewOut("voice-"+src, src, voiceHold)
		if err != nil {
			cancel()
			return nil, err
		}
		fan := &r.voice.fromPatient
		if src == roleTherapist {
			fan = &r.voice.fromTherapist
		}
		fan.Add(out)
		v.hear, v.fans = append(v.hear, out), append(v.fans, fan)
	}
	return v, nil
}

// stop takes the peer's tracks out of the room and ends its forwarders.
func (v *peerVoice) stop() {
	if v == nil {
		return
	}
	v.cancel()
	for i, out := range v.hear {
		v.fans[i].Remove(out)
	}
}

// media is what the rtc engine calls back for this peer's voice.
func (v *peerVoice) media() rtc.Media { return rtc.Media{OnTrack: v.onTrack, Prepare: v.prepare} }

// prepare attaches the tracks this peer hears to the audio sections of its
// offer that have none yet; the answer then sends on them. Sections beyond
// what the peer hears are answered receive-only (a patient's or therapist's
// microphone) or left silent.
func (v *peerVoice) prepare(pc *webrtc.PeerConnection) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, tr := range pc.GetTransceivers() {
		if v.attached == len(v.hear) {
			return nil
		}
		if tr.Kind() != webrtc.RTPCodecTypeAudio || tr.Mid() == "" || tr.Sender() != nil ||
			tr.Direction() == webrtc.RTPTransceiverDirectionInactive {
			continue
		}
		// pion gives the track to the first audio transceiver free to send:
		// this one.
		if _, err := pc.AddTrack(v.hear[v.attached].Track()); err != nil {
			return fmt.Errorf("live: attaching voice: %w", err)
		}
		v.attached++
	}
	return nil
}

// onTrack forwards the peer's microphone to those who hear its role. An
// observer's track is never read: its offers are refused before they could
// send one (mediaAllowed), and this is the second lock on that door.
func (v *peerVoice) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	if tr.Kind() != webrtc.RTPCodecTypeAudio || (v.role != rolePatient && v.role != roleTherapist) {
		return
	}
	fan := &v.room.voice.fromPatient
	if v.role == roleTherapist {
		fan = &v.room.voice.fromTherapist
	}
	svc := v.room.svc
	opts := media.Options{}
	if obs := svc.voiceObs.Load(); obs != nil {
		opts.OnPacket = *obs
	}
	// pion calls OnTrack on its own goroutine, which may forward at once.
	if err := media.Forward(v.ctx, media.Track(tr), fan, opts); err != nil && v.ctx.Err() == nil {
		svc.log.Warn("live: voice forwarding stopped", slog.String("session", v.room.id), slog.String("role", v.role), slog.Any("err", err))
	}
}

// mediaAllowed refuses an offer that would send what its sender may not:
// video from anyone (Haven carries voice only), audio from an observer.
func mediaAllowed(role, offer string) error {
	audio, video, err := rtc.OfferSends(offer)
	if err != nil {
		return apierr.Wrap(apierr.SDPInvalid, err)
	}
	if video || (audio && role == roleObserver) {
		return apierr.New(apierr.MediaRefused)
	}
	return nil
}

// voiceState records a side's microphone and tells the other side (and the
// observers). Runs on the room's owner goroutine.
func (r *room) voiceState(role, mic string) {
	if r.voice.mic == nil {
		r.voice.mic = map[string]string{}
	}
	r.voice.mic[role] = mic
	st := wire.VoiceState{Role: role, Mic: mic}
	if role == roleTherapist {
		r.toPatient("voice.state", 0, st)
	}
	r.toConsoles(wire.Control, "voice.state", 0, st)
}

// voiceHelloIn asks the owner to tell a newly ready connection the
// microphones it hears.
type voiceHelloIn struct{ p *peer }

func (in voiceHelloIn) run(r *room) { r.voiceHello(in.p) }

// voiceHello tells a newly ready connection the microphones it hears.
func (r *room) voiceHello(p *peer) {
	for _, role := range []string{rolePatient, roleTherapist} {
		mic, ok := r.voice.mic[role]
		if !ok || (p.role == rolePatient && role == rolePatient) {
			continue
		}
		p.send(wire.Control, "voice.state", 0, wire.VoiceState{Role: role, Mic: mic})
	}
}

// ObserveVoice sets a function called after each forwarded voice packet with
// the times its read returned and its last write returned, and how many
// tracks took it (`haven bench voice`; nil stops observing). It applies to
// tracks that start after the call.
func (s *Service) ObserveVoice(f func(in, out time.Time, wrote int)) {
	if f == nil {
		s.voiceObs.Store(nil)
		return
	}
	s.voiceObs.Store(&f)
}
