package live_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// TestICERestartAndLeave: PATCH with an ICE-restart offer keeps the same
// peer (and session) going; DELETE leaves, which pauses a live session.
func TestICERestartAndLeave(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	con := f.console(f.session, "")
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 13, NoSignals: true})
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	cp := pat.Peer()
	if cp.Location == "" {
		t.Fatal("no Location header")
	}
	do := func(method, body string) (int, []byte) {
		req, _ := http.NewRequest(method, cp.Location, bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer "+f.lastToken())
		req.Header.Set("Content-Type", "application/sdp")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if st, _ := do(http.MethodPatch, "garbage"); st != http.StatusBadRequest {
		t.Fatalf("PATCH garbage: %d", st)
	}
	offer, err := cp.PC.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(cp.PC)
	if err := cp.PC.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	st, answer := do(http.MethodPatch, cp.PC.LocalDescription().SDP)
	if st != http.StatusOK {
		t.Fatalf("PATCH restart: %d %s", st, answer)
	}
	if err := cp.PC.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		t.Fatal(err)
	}
	seq := con.Send("cmd.suds_prompt", wire.Empty{})
	wait(t, pat, 5*time.Second, "prompt after restart", typeSrc("suds.prompt", seq))
	if st, _ := do(http.MethodDelete, ""); st != http.StatusNoContent {
		t.Fatalf("DELETE: %d", st)
	}
	wait(t, con, 3*time.Second, "paused after leaving", state(store.LivePaused))
	if st, _ := do(http.MethodDelete, ""); st != http.StatusNotFound {
		t.Fatalf("second DELETE: %d", st)
	}
}
