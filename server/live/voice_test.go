package live_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/server/apptest"
	waitfor "github.com/havenvr/haven/server/apptest/wait"
	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// consoleSignal and patientSignal are the credentials a PATCH carries.
func (f *fixture) consoleSignal() rtc.DialOptions {
	h := http.Header{}
	h.Set("X-CSRF-Token", f.th.CSRF)
	return rtc.DialOptions{Header: h, HTTP: f.th.HTTP}
}

func (f *fixture) patientSignal() rtc.DialOptions {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+f.lastToken())
	return rtc.DialOptions{Header: h}
}

func addVoice(t *testing.T, cp *rtc.ClientPeer, opts simpeer.VoiceOptions) *simpeer.Voice {
	t.Helper()
	v, err := simpeer.AddVoice(ctxT(t, 15*time.Second), cp, opts)
	if err != nil {
		t.Fatalf("adding voice: %v", err)
	}
	return v
}

// frame is a tagged 20 ms voice frame (48 bytes, a typical Opus speech frame).
func frame(tag byte, i int) []byte {
	b := make([]byte, 48)
	b[0] = tag
	binary.BigEndian.PutUint32(b[1:], uint32(i))
	return b
}

// say sends n tagged frames, a little faster than real time.
func say(t *testing.T, v *simpeer.Voice, tag byte, n int) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for i := range n {
		<-tick.C
		if err := v.Say(frame(tag, i)); err != nil {
			t.Fatal(err)
		}
	}
}

// heardAll waits until listener has heard every one of the n frames tagged
// tag on stream, in order, byte for byte.
func heardAll(t *testing.T, v *simpeer.Voice, stream string, tag byte, n int) {
	t.Helper()
	tagged := func() [][]byte {
		var out [][]byte
		for _, p := range v.Heard(stream) {
			if len(p.Payload) > 0 && p.Payload[0] == tag {
				out = append(out, p.Payload)
			}
		}
		return out
	}
	waitfor.Until(t, 10*time.Second, "the "+stream+"'s voice", func() bool { return len(tagged()) >= n })
	for i, p := range tagged()[:n] {
		if !bytes.Equal(p, frame(tag, i)) {
			t.Fatalf("%s frame %d arrived as %x, sent %x", stream, i, p[:5], frame(tag, i)[:5])
		}
	}
}

// voiceSession is a live session whose console and headset both talk.
func voiceSession(t *testing.T, modify func(*config.Config)) (*fixture, *simpeer.Therapist, *simpeer.Patient, *simpeer.Voice, *simpeer.Voice) {
	t.Helper()
	f := newFixtureWith(t, modify, nil)
	con := f.console(f.session, "")
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 18, NoSignals: true})
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	conV := addVoice(t, con.Peer(), simpeer.VoiceOptions{Signal: f.consoleSignal(), Mic: true})
	patV := addVoice(t, pat.Peer(), simpeer.VoiceOptions{Signal: f.patientSignal(), Mic: true})
	return f, con, pat, conV, patV
}

// TestVoiceForwardedBothWays: the therapist's voice reaches the headset and
// the patient's the console, every packet in order and unchanged; an
// observer hears both on their own tracks.
func TestVoiceForwardedBothWays(t *testing.T) {
	t.Parallel()
	f, _, _, conV, patV := voiceSession(t, nil)
	obs := f.console(f.session, "?role=observer")
	obsV := addVoice(t, obs.Peer(), simpeer.VoiceOptions{Signal: f.consoleSignal(), Listen: 2})
	say(t, conV, 't', 100)
	heardAll(t, patV, "therapist", 't', 100)
	heardAll(t, obsV, "therapist", 't', 100)
	say(t, patV, 'p', 100)
	heardAll(t, conV, "patient", 'p', 100)
	heardAll(t, obsV, "patient", 'p', 100)
	// Nobody hears their own voice.
	if n := patV.Count("patient") + conV.Count("therapist"); n != 0 {
		t.Fatalf("%d packets echoed back to their sender", n)
	}
}

// TestVoiceRenegotiationKeepsControl: adding voice on both connections and
// an ICE restart, while the therapist sends a command every 15 ms, lose and
// reorder nothing on control: every prompt reaches the headset in order,
// the headset's control seqs run without a gap, and no side is refused
// anything.
func TestVoiceRenegotiationKeepsControl(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	con := f.console(f.session, "")
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 19, NoSignals: true})
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	const n = 120
	var seqs []uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(15 * time.Millisecond)
		defer tick.Stop()
		for range n {
			<-tick.C
			seqs = append(seqs, con.Send("cmd.suds_prompt", wire.Empty{}))
		}
	}()
	patV := addVoice(t, pat.Peer(), simpeer.VoiceOptions{Signal: f.patientSignal(), Mic: true})
	conV := addVoice(t, con.Peer(), simpeer.VoiceOptions{Signal: f.consoleSignal(), Mic: true})
	if err := pat.Peer().Renegotiate(ctxT(t, 10*time.Second), f.patientSignal(), true); err != nil {
		t.Fatalf("ICE restart: %v", err)
	}
	wg.Wait()
	wait(t, pat, 10*time.Second, "the last prompt", typeSrc("suds.prompt", seqs[n-1]))
	var got []uint64
	var last uint64
	for _, m := range pat.All() {
		if m.Spec.Channel != wire.Control {
			continue
		}
		if last != 0 && m.Seq != last+1 {
			t.Fatalf("headset control seq %d after %d: a message was lost or reordered", m.Seq, last)
		}
		last = m.Seq
		if m.Type == "suds.prompt" {
			got = append(got, m.SrcSeq)
		}
		if m.Type == "error" {
			t.Fatalf("headset was refused: %+v", m.Body)
		}
	}
	if len(got) != n {
		t.Fatalf("headset got %d prompts, the therapist sent %d", len(got), n)
	}
	for i := range got {
		if got[i] != seqs[i] {
			t.Fatalf("prompt %d came from command %d, want %d", i, got[i], seqs[i])
		}
	}
	for _, m := range con.All() {
		if m.Type == "error" {
			t.Fatalf("console was refused: %+v", m.Body)
		}
	}
	// And the voice the renegotiations added works both ways.
	say(t, conV, 't', 30)
	heardAll(t, patV, "therapist", 't', 30)
	say(t, patV, 'p', 30)
	heardAll(t, conV, "patient", 'p', 30)
}

// TestVoiceResumesAfterICERestart: after an ICE restart of the headset's
// connection (a network change) the voice carries on without a new
// connection.
func TestVoiceResumesAfterICERestart(t *testing.T) {
	t.Parallel()
	f, con, pat, conV, patV := voiceSession(t, nil)
	say(t, conV, 'a', 20)
	heardAll(t, patV, "therapist", 'a', 20)
	if err := pat.Peer().Renegotiate(ctxT(t, 10*time.Second), f.patientSignal(), true); err != nil {
		t.Fatalf("ICE restart: %v", err)
	}
	if err := con.Peer().Renegotiate(ctxT(t, 10*time.Second), f.consoleSignal(), true); err != nil {
		t.Fatalf("console ICE restart: %v", err)
	}
	// Packets sent while the new checks run may be lost; the voice must
	// come back, in order, on the same connections.
	talkUntilHeard(t, conV, patV, "therapist", 'b', 50)
	talkUntilHeard(t, patV, conV, "patient", 'c', 50)
}

// talkUntilHeard keeps talking (20 ms frames) until the listener has heard
// n of them, and checks they arrived in the order they were said.
func talkUntilHeard(t *testing.T, speaker, listener *simpeer.Voice, stream string, tag byte, n int) {
	t.Helper()
	heard := func() []int {
		var idx []int
		for _, p := range listener.Heard(stream) {
			if len(p.Payload) >= 5 && p.Payload[0] == tag {
				idx = append(idx, int(binary.BigEndian.Uint32(p.Payload[1:])))
			}
		}
		return idx
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; len(heard()) < n; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("the %s's voice did not resume: %d of %d frames heard", stream, len(heard()), i)
		}
		<-tick.C
		if err := speaker.Say(frame(tag, i)); err != nil {
			t.Fatal(err)
		}
	}
	idx := heard()
	for i := 1; i < len(idx); i++ {
		if idx[i] <= idx[i-1] {
			t.Fatalf("%s frame %d arrived after frame %d", stream, idx[i], idx[i-1])
		}
	}
}

// TestVoiceOverSingleUDPPort: with --udp-port every peer's voice shares the
// one socket and still flows both ways.
func TestVoiceOverSingleUDPPort(t *testing.T) {
	t.Parallel()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	_ = c.Close()
	_, _, _, conV, patV := voiceSession(t, func(cfg *config.Config) { cfg.UDPPort = port })
	say(t, conV, 't', 50)
	heardAll(t, patV, "therapist", 't', 50)
	say(t, patV, 'p', 50)
	heardAll(t, conV, "patient", 'p', 50)
}

// signalRefusal decodes a refused offer's error.
func signalRefusal(t *testing.T, err error) (status int, code, message string) {
	t.Helper()
	se, ok := asSignalError(err)
	if !ok {
		t.Fatalf("want a refused offer, got %v", err)
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if jerr := json.Unmarshal([]byte(se.Body), &e); jerr != nil {
		t.Fatalf("refusal body %q: %v", se.Body, jerr)
	}
	return se.Status, e.Error.Code, e.Error.Message
}

// error.media_refused in i18n/locales/error.en.json and error.es.json.
const (
	mediaRefusedEN = "This connection may not send that kind of media. Observers only listen, and video is never sent."
	mediaRefusedES = "Esta conexión no puede enviar ese tipo de medios. Los observadores solo escuchan y nunca se envía vídeo."
)

// TestVoiceObserverAndVideoRefused: an observer's offer that would send
// audio is refused, on connecting and on renegotiating (the observer keeps
// its listening connection); an offer that would send video is refused for
// the patient's token, on connecting and on renegotiating.
func TestVoiceObserverAndVideoRefused(t *testing.T) {
	t.Parallel()
	f, _, pat, conV, patV := voiceSession(t, nil)
	check := func(what string, r reply, msg string) {
		t.Helper()
		if r.status != http.StatusForbidden || r.code != "media_refused" || r.msg != msg {
			t.Fatalf("%s: %d %s %q, want 403 media_refused %q", what, r.status, r.code, r.msg, msg)
		}
	}

	// An observer offering a microphone on connecting.
	api := rtc.NewClientAPI()
	h := http.Header{}
	h.Set("X-CSRF-Token", f.th.CSRF)
	obsURL := f.srv.URL + "/api/sessions/" + f.session + "/console/whip?role=observer"
	obs, err := rtc.Dial(ctxT(t, 10*time.Second), api, rtc.DialOptions{URL: obsURL, Header: h, HTTP: f.th.HTTP,
		Channels: []string{wire.Control, wire.Signals}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = obs.Close() })
	_, err = simpeer.AddVoice(ctxT(t, 10*time.Second), obs, simpeer.VoiceOptions{Signal: f.consoleSignal(), Mic: true})
	st, code, msg := signalRefusal(t, err)
	check("observer adding a microphone", reply{status: st, code: code, msg: msg}, mediaRefusedEN)
	// Its listening connection is untouched: it still hears the therapist
	// once it renegotiates receive-only.
	fresh, err := rtc.Dial(ctxT(t, 10*time.Second), api, rtc.DialOptions{URL: obsURL, Header: h, HTTP: f.th.HTTP,
		Channels: []string{wire.Control, wire.Signals}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fresh.Close() })
	listen := addVoice(t, fresh, simpeer.VoiceOptions{Signal: f.consoleSignal(), Listen: 2})
	say(t, conV, 't', 20)
	heardAll(t, listen, "therapist", 't', 20)

	// An observer whose very first offer carries a microphone.
	// (send asks for Spanish: the refusal is in the reader's language.)
	check("observer connecting with a microphone", send(t, f.th.HTTP, http.MethodPost, obsURL, "application/sdp", []byte(offerSDP(t, true)), h), mediaRefusedES)

	// The patient's token, offering video, on renegotiating and on connecting.
	video := []byte(withVideo(offerSDP(t, false)))
	hp := f.patientSignal().Header
	check("patient renegotiating with video", send(t, http.DefaultClient, http.MethodPatch, pat.Peer().Location, "application/sdp", video, hp), mediaRefusedES)
	check("patient connecting with video", send(t, http.DefaultClient, http.MethodPost, f.srv.URL+"/api/sessions/"+f.session+"/whip", "application/sdp", video, hp), mediaRefusedES)
	// The headset's connection carries on.
	say(t, conV, 'u', 20)
	heardAll(t, patV, "therapist", 'u', 20)
}

// offerSDP is a complete offer with the two data channels and, with mic, a
// microphone.
func offerSDP(t *testing.T, mic bool) string {
	t.Helper()
	pc, err := rtc.NewClientAPI().NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	for _, l := range []string{wire.Control, wire.Signals} {
		if _, err := pc.CreateDataChannel(l, nil); err != nil {
			t.Fatal(err)
		}
	}
	if mic {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv}); err != nil {
			t.Fatal(err)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	g := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-g
	return pc.LocalDescription().SDP
}

// withVideo adds a send-only VP8 camera section to an offer (pion here has
// no video codec to offer one; a browser would).
func withVideo(sdp string) string {
	return strings.TrimRight(sdp, "\r\n") + "\r\n" + strings.Join([]string{
		"m=video 9 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 0.0.0.0", "a=mid:9", "a=sendonly", "a=rtpmap:96 VP8/90000"}, "\r\n") + "\r\n"
}

func voiceState(role, mic string) func(simpeer.Received) bool {
	return func(r simpeer.Received) bool {
		v, ok := r.Body.(*wire.VoiceState)
		return ok && r.Type == "voice.state" && v.Role == role && v.Mic == mic
	}
}

// TestVoiceMicStateSeenByOtherSide: the patient muting themselves reaches
// the console (and an observer); the therapist's push-to-talk reaches the
// headset; a console that connects later is told both; an observer may not
// claim a microphone, and a state outside the four is refused.
func TestVoiceMicStateSeenByOtherSide(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	con := f.console(f.session, "")
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 20, NoSignals: true})
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	obs := f.console(f.session, "?role=observer")
	pat.Send("voice.state", wire.VoiceMic{Mic: wire.MicMuted}, false)
	wait(t, con, 5*time.Second, "the patient muted", voiceState("patient", wire.MicMuted))
	wait(t, obs, 5*time.Second, "the patient muted (observer)", voiceState("patient", wire.MicMuted))
	con.Send("voice.state", wire.VoiceMic{Mic: wire.MicPTT})
	wait(t, pat, 5*time.Second, "the therapist on push-to-talk", voiceState("therapist", wire.MicPTT))
	late := f.console(f.session, "")
	wait(t, late, 5*time.Second, "the patient's state on connecting", voiceState("patient", wire.MicMuted))
	wait(t, late, 5*time.Second, "the therapist's state on connecting", voiceState("therapist", wire.MicPTT))
	seq := obs.Send("voice.state", wire.VoiceMic{Mic: wire.MicOn})
	wait(t, obs, 5*time.Second, "the observer refused", func(r simpeer.Received) bool {
		e, ok := r.Body.(*wire.Error)
		return ok && e.Code == "forbidden" && e.RefSeq == seq
	})
	seq = con.Send("voice.state", map[string]string{"mic": "loud"})
	wait(t, con, 5*time.Second, "a made-up state refused", func(r simpeer.Received) bool {
		e, ok := r.Body.(*wire.Error)
		return ok && e.Code == "validation" && e.RefSeq == seq
	})
	// The refused messages changed nothing the headset was told.
	for _, m := range pat.All() {
		if v, ok := m.Body.(*wire.VoiceState); ok && v.Mic != wire.MicPTT {
			t.Fatalf("headset told %+v", v)
		}
	}
}

// TestVoiceThroughTURN: a headset that may only use a TURN relay (its
// transport policy allows relay candidates alone, as behind a firewall
// that passes nothing else) talks and listens as any other. The TURN server
// and its credential are the server's --ice-server flag, and the headset
// dials with what its join answer hands it (as the browser client does).
func TestVoiceThroughTURN(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse([]string{"--ice-server", apptest.StartTURN(t).Flag()},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureWith(t, func(c *config.Config) { c.ICEServers = cfg.ICEServers }, nil)
	con := f.console(f.session, "")
	conV := addVoice(t, con.Peer(), simpeer.VoiceOptions{Signal: f.consoleSignal(), Mic: true})
	var joined struct {
		SessionID  string          `json:"session_id"`
		Token      string          `json:"token"`
		ICEServers []rtc.ICEServer `json:"ice_servers"`
	}
	if st := f.srv.Anonymous(t).Do(http.MethodPost, "/api/join", map[string]string{"code": f.joinCode(f.session)}, &joined); st != http.StatusOK || joined.Token == "" {
		t.Fatalf("join: %d %+v", st, joined)
	}
	f.setToken(joined.Token)
	var ice []webrtc.ICEServer
	for _, s := range joined.ICEServers {
		ice = append(ice, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	headset, err := rtc.Dial(ctxT(t, 20*time.Second), rtc.NewClientAPI(), rtc.DialOptions{
		URL: f.srv.URL + "/api/sessions/" + joined.SessionID + "/whip", Header: f.patientSignal().Header,
		Channels: []string{wire.Control, wire.Signals},
		Config:   webrtc.Configuration{ICETransportPolicy: webrtc.ICETransportPolicyRelay, ICEServers: ice},
	})
	if err != nil {
		t.Fatalf("headset through TURN: %v", err)
	}
	t.Cleanup(func() { _ = headset.Close() })
	pair, err := headset.PC.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil || pair.Local.Typ != webrtc.ICECandidateTypeRelay {
		t.Fatalf("headset's selected pair %v (%v): want a relay candidate", pair, err)
	}
	patV := addVoice(t, headset, simpeer.VoiceOptions{Signal: f.patientSignal(), Mic: true})
	talkUntilHeard(t, conV, patV, "therapist", 't', 50)
	talkUntilHeard(t, patV, conV, "patient", 'p', 50)
}
