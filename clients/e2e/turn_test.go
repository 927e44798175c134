package e2e

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/store"
)

// pcsJS keeps every RTCPeerConnection the page makes a data channel on (all
// of Haven's do), so a test can read their ICE candidates; nothing in the
// app changes.
const pcsJS = `(() => {
  if (window.__pcs) return true;
  window.__pcs = new Set();
  const create = RTCPeerConnection.prototype.createDataChannel;
  RTCPeerConnection.prototype.createDataChannel = function (...args) { window.__pcs.add(this); return create.apply(this, args); };
  return true;
})()`

// relayFrom lists the ICE servers (their URLs) the page's open connections
// got relay candidates from: a TURN server allocates a relay only to a
// client that authenticated with the right credential.
const relayFrom = `(async () => {
  const urls = new Set();
  for (const pc of window.__pcs) {
    if (pc.connectionState === 'closed') continue;
    (await pc.getStats()).forEach((r) => { if (r.type === 'local-candidate' && r.candidateType === 'relay') urls.add(r.url || '?'); });
  }
  return [...urls];
})()`

// TestBrowsersRelayThroughTURN: a TURN server given to `haven serve` with
// its credential (--ice-server turn:…?transport=udp&username=…&credential=…)
// reaches the therapist's console and the patient's headset page, both
// Chromium, through the session and join answers, and each gets a relay
// candidate from it — the TURN server's authenticated allocation, which a
// missing or wrong credential does not get (and a turn: URL without one
// makes RTCPeerConnection throw).
func TestBrowsersRelayThroughTURN(t *testing.T) {
	relay := apptest.StartTURN(t)
	cfg, err := config.Parse([]string{"--ice-server", relay.Flag()}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	env := StartConsoleWith(t, func(c *config.Config) { c.ICEServers = cfg.ICEServers })
	th := env.SignIn(t, NewBrowser(t), "en", store.RoleTherapist)
	MustEval[bool](th, pcsJS)
	id := practiceSession(th, spidersNear)
	Go(t, th, "#/sessions/"+id)
	Wait(t, th, `window.havenConsole.live && window.havenConsole.live.link === 'open'`, 20*time.Second)
	Do(t, th, chromedp.Click(`#join-h ~ .actions button.primary`))
	Wait(t, th, `window.havenConsole.live.joinCode`, 10*time.Second)
	code := MustEval[string](th, `window.havenConsole.live.joinCode`)

	pt := openPatientPage(t, NewBrowser(t), env.URL+"/xr/index.html?locale=en", 800, 450)
	MustEval[bool](pt, pcsJS)
	Do(t, pt, chromedp.SendKeys(`#code`, code), chromedp.Click(`#join-btn`))
	Wait(t, pt, `window.haven.state.connected === true`, 20*time.Second)

	want := strings.TrimSuffix(relay.URL, "?transport=udp")
	for name, p := range map[string]*Page{"console": th, "headset": pt} {
		got := MustEval[[]string](p, relayFrom)
		if len(got) == 0 || !strings.HasPrefix(got[0], want) {
			t.Errorf("%s: relay candidates from %v, want from %s", name, got, relay.URL)
		} else {
			t.Logf("%s: relay candidates from %v", name, got)
		}
	}
}
