package live_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	waitfor "github.com/havenvr/haven/server/apptest/wait"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

type chunkStats struct {
	Rows, Samples, Seqs int64
}

func (f *fixture) chunks(id string) chunkStats {
	f.t.Helper()
	var cs chunkStats
	err := f.srv.App.Store.DB.Raw("SELECT COUNT(*) AS rows, COALESCE(SUM(n),0) AS samples, COUNT(DISTINCT seq) AS seqs FROM sample_chunks WHERE session_id = ?", id).
		Scan(&cs).Error
	if err != nil {
		f.t.Fatal(err)
	}
	return cs
}

// TestReconnectNothingLost drops the patient's link mid-stream; batches sent
// while disconnected and those unacknowledged at the drop are resent after
// the reconnect, and the store ends with every sample exactly once.
func TestReconnectNothingLost(t *testing.T) {
	f := newFixture(t, nil)
	con := f.console(f.session, "")
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 2})
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	waitfor.Until(t, 10*time.Second, "batches acknowledged before the drop", func() bool { return pat.Stats().SamplesAcked > 0 })
	pat.Disconnect()
	wait(t, con, 3*time.Second, "link lost", state(store.LivePaused))
	early := con.Send("cmd.resume", wire.Empty{})
	wait(t, con, 3*time.Second, "no resume without a headset", engineKind("command.refused", early))
	// The sensor keeps producing while offline: batches wait for the link.
	offline := pat.Stats()
	waitfor.Until(t, 10*time.Second, "batches made while offline", func() bool { return pat.Stats().BatchesSent >= offline.BatchesSent+2 })
	if err := pat.Connect(ctxT(t, 10*time.Second)); err != nil {
		t.Fatalf("reconnect: %v", err)
	}
	// Streaming goes on over the new link: resent batches are acknowledged
	// and new ones made before the sensor stops.
	back := pat.Stats().BatchesSent
	waitfor.Until(t, 10*time.Second, "acknowledgements and new batches after the reconnect", func() bool {
		st := pat.Stats()
		return st.BatchesResent > 0 && st.SamplesAcked > offline.SamplesAcked && st.BatchesSent >= back+2
	})
	pat.StopStreaming()
	waitfor.Until(t, 10*time.Second, "every batch acknowledged", func() bool { return pat.Stats().Unacked == 0 })
	st := pat.Stats()
	cs := f.chunks(f.session)
	if st.Unacked != 0 || st.SamplesAcked != st.SamplesSent || cs.Samples != st.SamplesSent || cs.Rows != st.BatchesSent || cs.Seqs != cs.Rows {
		t.Fatalf("patient %+v, stored %+v", st, cs)
	}
	if st.BatchesResent == 0 {
		t.Fatalf("nothing was resent: the test did not exercise the reconnect path (%+v)", st)
	}
	// Still paused: resume only on the therapist's word.
	wait(t, pat, 3*time.Second, "calm on reconnect", simpeer.Type("calm.now"))
	con.Send("cmd.resume", wire.Empty{})
	wait(t, con, 3*time.Second, "live again", func(r simpeer.Received) bool {
		s, ok := r.Body.(*wire.SessionState)
		return ok && s.State == store.LiveLive && s.Patient && r.At.After(time.Now().Add(-3*time.Second))
	})
}

// TestLinkLossSilent: a headset that stops talking (link up, nothing sent)
// pauses the session and alerts the therapist within 2 s.
func TestLinkLossSilent(t *testing.T) {
	f := newFixture(t, nil)
	con := f.console(f.session, "")
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 3})
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	waitfor.Until(t, 10*time.Second, "the headset heard (a batch acknowledged)", func() bool { return pat.Stats().SamplesAcked > 0 })
	pat.Mute(true)
	muted := time.Now()
	a := wait(t, con, 3*time.Second, "link_lost alert", func(r simpeer.Received) bool {
		al, ok := r.Body.(*wire.Alert)
		return ok && al.Code == "link_lost"
	})
	if d := a.At.Sub(muted); d > 2*time.Second {
		t.Fatalf("alert after %v, want ≤ 2 s", d)
	}
	wait(t, con, time.Second, "paused", state(store.LivePaused))
	// The patient's client keeps hearing heartbeats (server → patient) and
	// gets calm.now when it speaks again; the session stays paused.
	pat.Mute(false)
	wait(t, con, 3*time.Second, "restored", func(r simpeer.Received) bool {
		al, ok := r.Body.(*wire.Alert)
		return ok && al.Code == "link_restored"
	})
	f.expectStoredLinkLost("once heard again")
}

// TestBadSignalling covers the HTTP side of bad input: each refusal is coded
// and the session stays usable.
func TestBadSignalling(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	code := f.joinCode(f.session)
	anon := f.srv.Anonymous(t)
	var ok struct {
		Token string
	}
	if st := anon.Do(http.MethodPost, "/api/join", map[string]string{"code": code}, &ok); st != http.StatusOK {
		t.Fatalf("join: %d", st)
	}
	var e struct{ Error struct{ Code string } }
	if st := anon.Do(http.MethodPost, "/api/join", map[string]string{"code": code}, &e); st != http.StatusNotFound || e.Error.Code != "join_code_invalid" {
		t.Fatalf("reused code: %d %+v", st, e)
	}
	if st := anon.Do(http.MethodPost, "/api/join", map[string]string{"code": "ABCD-EFGH"}, &e); st != http.StatusNotFound {
		t.Fatalf("guessed code: %d", st)
	}
	whip := f.srv.URL + "/api/sessions/" + f.session + "/whip"
	post := func(token, ctype, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, whip, bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e struct{ Error struct{ Code string } }
		_ = jsonDecode(resp.Body, &e)
		return resp.StatusCode, e.Error.Code
	}
	noDC := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\n"
	cases := []struct {
		name, token, ctype, body, code string
		status                         int
	}{
		{"no token", "", "application/sdp", "v=0", "unauthorized", 401},
		{"wrong token", "nope", "application/sdp", "v=0", "unauthorized", 401},
		{"garbage sdp", ok.Token, "application/sdp", "hello there", "sdp_invalid", 400},
		{"wrong media type", ok.Token, "text/plain", "v=0", "unsupported_media_type", 415},
		{"no data channel", ok.Token, "application/sdp", noDC, "no_datachannel", 400},
	}
	for _, tc := range cases {
		if st, c := post(tc.token, tc.ctype, tc.body); st != tc.status || c != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, st, c, tc.status, tc.code)
		}
	}
	// A second patient while the first is connected and talking.
	opts := simpeer.PatientOptions{BaseURL: f.srv.URL, SessionID: f.session, Token: ok.Token, Seed: 4}
	first := simpeer.NewPatient(opts)
	if err := first.Connect(ctxT(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	first.Start()
	t.Cleanup(first.Close)
	wait(t, first, 5*time.Second, "hello", simpeer.Type("hello"))
	second := simpeer.NewPatient(opts)
	err := second.Connect(ctxT(t, 10*time.Second))
	if se, isSE := asSignalError(err); !isSE || se.Status != http.StatusConflict {
		t.Fatalf("second patient: %v", err)
	}
	// The first is unaffected.
	con := f.console(f.session, "")
	wait(t, con, 5*time.Second, "still live", state(store.LiveLive))
}

// TestBadMessages covers the data-channel side: unknown types and versions,
// oversize messages, seq going backwards, a flood; each gets a coded error
// and the session keeps working.
func TestBadMessages(t *testing.T) {
	f := newFixture(t, nil)
	con := f.console(f.session, "")
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 5, NoSignals: true})
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	send := func(ch string, s string) {
		if err := pat.SendRaw(ch, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	send(wire.Control, `{"v":1,"type":"teleport","seq":100000,"body":{}}`)
	wait(t, pat, 3*time.Second, "unknown type", errCode("unknown_message_type"))
	send(wire.Control, `{"v":7,"type":"heartbeat","seq":100001}`)
	wait(t, pat, 3*time.Second, "bad version", errCode("unsupported_version"))
	send(wire.Control, string(bytes.Repeat([]byte("x"), wire.MaxControlBytes+1)))
	wait(t, pat, 3*time.Second, "too large", errCode("message_too_large"))
	send(wire.Control, `{"v":1,"type":"heartbeat","seq":100002}`)
	send(wire.Control, `{"v":1,"type":"heartbeat","seq":5}`)
	wait(t, pat, 3*time.Second, "seq backwards", errCode("validation"))
	for i := range 400 {
		send(wire.Control, `{"v":1,"type":"heartbeat","seq":`+itoa(200000+i)+`}`)
	}
	wait(t, pat, 3*time.Second, "throttled", errCode("peer_throttled"))
	// The session is healthy: a command still reaches the patient.
	seq := con.Send("cmd.suds_prompt", wire.Empty{})
	wait(t, pat, 3*time.Second, "prompt after abuse", typeSrc("suds.prompt", seq))
	con.SendRaw(wire.Control, []byte(`{"v":1,"type":"cmd.teleport","seq":99}`))
	wait(t, con, 3*time.Second, "console unknown type", errCode("unknown_message_type"))
}
