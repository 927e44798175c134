package groups

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/server/media"
	"github.com/havenvr/haven/server/rtc"
)

// Voice in a circle goes through the clinic's server, and no further.
// Each member's Opus stream arrives on their peer connection; the server
// forwards to each listener only the MaxSpeakers loudest current speakers,
// one outgoing track (a slot, package media's Out) per speaker, so a
// listener's cost and bandwidth stay the same however large the room is,
// and the server's work grows with listeners × active speakers, never with
// the square of the room. Loudness comes from the RTP audio-level header
// extension (RFC 6464) the browser puts on every packet: nothing is
// decoded, mixed, recorded, transcribed or stored; a packet is gone once
// written. Which member is on which slot is told to everyone
// (voice.speakers), so each listener places that voice where the speaker
// sits. A member muted by a moderator, waiting for the turn, in the lobby
// or in a closed room is simply not forwarded.

// MaxSpeakers is how many voices a listener receives at once.
const MaxSpeakers = 3

// Voice activity thresholds. An audio level is −dBov (0 loudest, 127
// silence, RFC 6464 §3): speech at a headset or laptop microphone sits
// around −20 to −40 dBov, a quiet room's noise below −55, and a muted
// browser track sends digital silence (127).
const (
	voicedLevel = 55                      // louder than −55 dBov counts as speaking
	voicedBytes = 20                      // without the extension: an Opus frame this large is not silence
	releaseSlot = 1200 * time.Millisecond // a speaker silent this long gives the slot up
	pausedFor   = 300 * time.Millisecond  // a speaker silent this long may be replaced by a louder one
	takeOverBy  = 10.0                    // by this many dB louder (smoothed), so two voices do not flap
	speakerTick = 100 * time.Millisecond  // how often slots are released and voice.speakers sent
)

// speaker is one peer's voice in a circle: the slots it listens on and,
// while it speaks, its loudness.
type speaker struct {
	c    *conn
	id   string // presence id
	outs [MaxSpeakers]*media.Out
	src  *media.Source
	may  atomic.Bool // maySpeakLocked, refreshed on every change of who may speak

	// guarded by voice.mu
	loud      float64 // smoothed loudness, dB above −127 dBov
	lastVoice time.Time
	slot      int // −1: none
	listening bool
}

// voice is a circle's forwarding state.
type voice struct {
	r *room

	mu        sync.Mutex
	slots     [MaxSpeakers]*speaker
	changed   bool
	ticking   bool
	listeners atomic.Pointer[[]*speaker] // read without a lock on every packet
	all       []*speaker
}

// ForwardHook, set with Service.SetForwardHook, sees every forwarded packet: when its
// read returned, when its last write returned and how many listeners took
// it (`haven bench circle` measures the server's forwarding delay with it).
type ForwardHook func(in, out time.Time, wrote int)

// newSpeaker makes the outgoing slots for a peer whose offer carries the
// voice transceivers (clients/room/src/voice.js: the slots first, the
// microphone last, so the slots take the offer's first audio sections).
func newSpeaker(c *conn) (*speaker, error) {
	sp := &speaker{c: c, src: media.NewSource(), slot: -1}
	for i := range sp.outs {
		o, err := media.NewOut(fmt.Sprintf("voice%d", i), fmt.Sprintf("slot%d", i), 0)
		if err != nil {
			return nil, err
		}
		sp.outs[i] = o
	}
	return sp, nil
}

// mediaFor is the voice part of a circle member's answer: its slots are
// attached to the offer's receive-only audio sections, and its microphone
// track, once it arrives, is read by forward. A peer with no audio in its
// offer (a moderator's console) takes part by data channel only.
func (r *room) mediaFor(c *conn) rtc.Media {
	return rtc.Media{
		Prepare: func(pc *webrtc.PeerConnection) error {
			slots := 0
			for _, t := range pc.GetTransceivers() {
				if t.Kind() == webrtc.RTPCodecTypeAudio && t.Direction() == webrtc.RTPTransceiverDirectionSendonly {
					slots++
				}
			}
			if slots < MaxSpeakers {
				return nil
			}
			sp, err := newSpeaker(c)
			if err != nil {
				return err
			}
			for _, o := range sp.outs {
				sender, err := pc.AddTrack(o.Track())
				if err != nil {
					return fmt.Errorf("groups: adding a voice slot: %w", err)
				}
				go drainRTCP(sender)
			}
			r.mu.Lock()
			c.voice = sp
			r.mu.Unlock()
			return nil
		},
		OnTrack: func(t *webrtc.TrackRemote, rec *webrtc.RTPReceiver) {
			if t.Kind() != webrtc.RTPCodecTypeAudio {
				return
			}
			r.mu.Lock()
			sp, v := c.voice, r.voiceLocked()
			r.mu.Unlock()
			if sp == nil {
				return
			}
			ext := 0
			for _, h := range rec.GetParameters().HeaderExtensions {
				if h.URI == sdp.AudioLevelURI {
					ext = h.ID
				}
			}
			r.s.peers.Add(1)
			go func() {
				defer r.s.peers.Done()
				if err := v.forward(t, sp, ext); err != nil {
					r.s.log.Debug("voice track ended", "err", err)
				}
			}()
		},
	}
}

// drainRTCP reads a sender's RTCP (receiver reports) so pion's buffers never fill.
func drainRTCP(s *webrtc.RTPSender) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := s.Read(buf); err != nil {
			return
		}
	}
}

// voiceLocked returns the room's voice state, made on first use.
func (r *room) voiceLocked() *voice {
	if r.voice == nil {
		r.voice = &voice{r: r}
		r.voice.listeners.Store(&[]*speaker{})
	}
	return r.voice
}

// level reads a packet's audio level: its RFC 6464 extension when
// negotiated, else the payload's size (a silent Opus frame is tiny).
func level(pkt *rtp.Packet, ext int) (loud float64, voiced bool) {
	if ext != 0 {
		if b := pkt.GetExtension(uint8(ext)); len(b) > 0 {
			dbov := int(b[0] & 0x7f)
			return float64(127 - dbov), dbov < voicedLevel
		}
	}
	if len(pkt.Payload) >= voicedBytes {
		return 60, true
	}
	return 0, false
}

// forward reads one speaker's microphone until the track ends and sends
// each packet of a speaker holding a slot to every other listener's
// outgoing track for that slot.
func (v *voice) forward(t *webrtc.TrackRemote, sp *speaker, ext int) error {
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) {
				return nil
			}
			return fmt.Errorf("groups: reading voice: %w", err)
		}
		now := time.Now()
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		loud, voiced := level(&pkt, ext)
		slot := v.observe(sp, loud, voiced, now)
		if slot < 0 {
			continue
		}
		wrote := 0
		for _, l := range *v.listeners.Load() {
			if l != sp && l.outs[slot].Write(sp.src, &pkt, now) == nil {
				wrote++
			}
		}
		if hook := v.r.s.onForward.Load(); hook != nil {
			(*hook)(now, time.Now(), wrote)
		}
	}
}

// observe updates a speaker's loudness and returns the slot its packet
// goes out on (−1: not forwarded). A voiced speaker without a slot takes a
// free one at once, or the slot of a holder who paused and is quieter by
// takeOverBy: speech is heard from its first syllable, and a louder new
// voice does not cut into someone mid-sentence.
func (v *voice) observe(sp *speaker, loud float64, voiced bool, now time.Time) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !sp.may.Load() || !sp.listening {
		if sp.slot >= 0 {
			v.releaseLocked(sp)
		}
		return -1
	}
	if voiced {
		sp.loud = 0.7*sp.loud + 0.3*loud
		sp.lastVoice = now
	} else {
		sp.loud *= 0.95
	}
	if sp.slot >= 0 || !voiced {
		return sp.slot
	}
	best := -1
	for i, h := range v.slots {
		if h == nil {
			best = i
			break
		}
		if now.Sub(h.lastVoice) > pausedFor && sp.loud > h.loud+takeOverBy && (best < 0 || h.loud < v.slots[best].loud) {
			best = i
		}
	}
	if best < 0 {
		return -1
	}
	if h := v.slots[best]; h != nil {
		h.slot = -1
	}
	v.slots[best] = sp
	sp.slot = best
	v.changed = true
	v.startTickLocked()
	return best
}

func (v *voice) releaseLocked(sp *speaker) {
	v.slots[sp.slot] = nil
	sp.slot = -1
	v.changed = true
	v.startTickLocked()
}

func (v *voice) startTickLocked() {
	if v.ticking {
		return
	}
	v.ticking = true
	v.r.s.peers.Add(1)
	go v.tick()
}

// tick releases the slots of speakers who went quiet and tells the room
// who is on which slot whenever that changed; it stops when no one holds a
// slot and everyone was told.
func (v *voice) tick() {
	defer v.r.s.peers.Done()
	t := time.NewTicker(speakerTick)
	defer t.Stop()
	for {
		select {
		case <-v.r.s.stop:
			return
		case <-t.C:
		}
		now := time.Now()
		v.mu.Lock()
		held := 0
		for _, h := range v.slots {
			if h == nil {
				continue
			}
			if now.Sub(h.lastVoice) > releaseSlot {
				v.releaseLocked(h)
				continue
			}
			held++
		}
		changed := v.changed
		v.changed = false
		slots := v.slotIDsLocked()
		if held == 0 && !changed {
			v.ticking = false
		}
		stop := !v.ticking
		v.mu.Unlock()
		if changed {
			v.r.speakersChanged(slots)
		}
		if stop {
			return
		}
	}
}

func (v *voice) slotIDsLocked() []string {
	ids := make([]string, MaxSpeakers)
	for i, h := range v.slots {
		if h != nil {
			ids[i] = h.id
		}
	}
	return ids
}

// speakersChanged tells everyone in the room which member is on which
// slot (slots) and who is speaking (ids): listeners place each voice,
// moderators see who speaks.
func (r *room) speakersChanged(slots []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	r.broadcastLocked(speakersFrame(slots, r.nextSeq()), inRoom)
}

// speakersFrame is voice.speakers: the member on each slot ("" for a free
// one) and the ids of those speaking.
func speakersFrame(slots []string, seq uint64) []byte {
	ids := []string{}
	for _, id := range slots {
		if id != "" {
			ids = append(ids, id)
		}
	}
	return outbound("voice.speakers", seq, map[string]any{"slots": slots, "ids": ids})
}

// voiceSyncLocked brings the voice state in line with the room: who
// listens (everyone in the room with voice slots) and who may speak. It
// runs on every change of presence, admission, mutes and the speaking order.
func (r *room) voiceSyncLocked() {
	if r.voice == nil {
		return
	}
	v := r.voice
	now := r.s.now()
	v.mu.Lock()
	defer v.mu.Unlock()
	list := make([]*speaker, 0, len(r.conns))
	for _, c := range r.conns {
		if sp := c.voice; sp != nil && inRoom(c) && !c.gone {
			sp.id = presenceOf(c).ID
			sp.listening = true
			sp.may.Store(r.maySpeakLocked(c, now))
			list = append(list, sp)
		}
	}
	for _, sp := range v.all {
		if sp.c.gone || !inRoom(sp.c) || r.conns[sp.c.key] != sp.c {
			sp.listening = false
			sp.may.Store(false)
		}
		if sp.slot >= 0 && !sp.may.Load() {
			v.releaseLocked(sp)
		}
	}
	v.all = list
	v.listeners.Store(&list)
}
