package live_test

// Link-fault tests: the patient's real packets are dropped or delayed under
// its pion peer (server/rtc/faultnet), with the real server and console on
// loopback. The safety figures of DESIGN.md §3 are asserted strictly (the
// therapist is alerted within 2 s of the cut); eventual states get generous
// waits, for -race on a loaded 2-core machine.

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	waitfor "github.com/havenvr/haven/server/apptest/wait"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/rtc/faultnet"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// watchdogLimit is the headset's allowance for control-channel silence
// (DESIGN.md §3; clients/webxr/src/connection.js).
const watchdogLimit = 2 * time.Second

// headset drives a simulated patient as the headset client does
// (clients/webxr/src/connection.js): more than 2 s without a control
// message is a lost link, so the client fades to its calm scene at once,
// drops the connection and dials again with backoff (250 ms doubling to
// 8 s); the new connection resends whatever is unacknowledged and then
// waits, calm, for the therapist's word.
type headset struct {
	pat     *simpeer.Patient
	lastCtl atomic.Int64 // unix ns of the last control message

	mu       sync.Mutex
	calmAt   []time.Time // the watchdog's local calm, each time it fired
	redialAt []time.Time // connections made again
	dials    int         // connection attempts begun
	failed   int         // attempts that did not connect

	stop chan struct{}
	done chan struct{}
}

func (h *headset) onReceive(r simpeer.Received) {
	if r.Spec.Channel == wire.Control {
		h.lastCtl.Store(r.At.UnixNano())
	}
}

// faultyHeadset joins the fixture's session with a headset whose every
// packet goes through a faultnet.Net the test controls (no fault yet).
func (f *fixture) faultyHeadset(seed uint64) (*headset, *faultnet.Net) {
	f.t.Helper()
	fn, err := faultnet.New(seed)
	if err != nil {
		f.t.Fatal(err)
	}
	h := &headset{stop: make(chan struct{}), done: make(chan struct{})}
	h.lastCtl.Store(time.Now().UnixNano())
	h.pat = f.patient(f.session, simpeer.PatientOptions{Seed: seed, API: rtc.NewClientAPI(rtc.WithNet(fn)), OnReceive: h.onReceive})
	go h.run()
	f.t.Cleanup(func() { close(h.stop); <-h.done }) // before the patient's Close (cleanups run last first)
	return h, fn
}

func (h *headset) run() {
	defer close(h.done)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	connected, attempt, next := true, 0, time.Time{}
	for {
		select {
		case <-h.stop:
			return
		case now := <-tick.C:
			switch {
			case connected && now.Sub(time.Unix(0, h.lastCtl.Load())) > watchdogLimit:
				h.mu.Lock()
				h.calmAt = append(h.calmAt, now)
				h.mu.Unlock()
				h.pat.Disconnect()
				connected, attempt, next = false, 0, now.Add(250*time.Millisecond)
			case !connected && !now.Before(next):
				if h.dial() {
					connected = true
					continue
				}
				attempt++
				next = time.Now().Add(min(8*time.Second, 250*time.Millisecond<<min(attempt, 10)))
			}
		}
	}
}

// dial makes one connection attempt, as long as ICE could take to find a
// path on loopback.
func (h *headset) dial() bool {
	ctx, cancel := contextFor(3*time.Second, h.stop)
	defer cancel()
	h.mu.Lock()
	h.dials++
	h.mu.Unlock()
	if err := h.pat.Connect(ctx); err != nil {
		h.mu.Lock()
		h.failed++
		h.mu.Unlock()
		return false
	}
	h.lastCtl.Store(time.Now().UnixNano())
	h.mu.Lock()
	h.redialAt = append(h.redialAt, time.Now())
	h.mu.Unlock()
	return true
}

// contextFor ends after d or when stop closes.
func contextFor(d time.Duration, stop <-chan struct{}) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// dialling reports whether the headset has begun a connection attempt.
func (h *headset) dialling() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.dials > 0
}

func (h *headset) record() (calm, redial []time.Time, failed int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calmAt), slices.Clone(h.redialAt), h.failed
}

// settle stops the sensors, waits until the patient holds nothing
// unacknowledged, and checks that every batch it made is stored exactly
// once: seqs 1..BatchesSent, one row each, every sample acknowledged.
func (f *fixture) settle(pat *simpeer.Patient, within time.Duration) simpeer.PatientStats {
	f.t.Helper()
	pat.StopStreaming()
	deadline := time.Now().Add(within)
	for pat.Stats().Unacked > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	st, cs := pat.Stats(), f.chunks(f.session)
	var seqs struct{ Lo, Hi uint64 }
	if err := f.srv.App.Store.DB.Raw("SELECT COALESCE(MIN(seq),0) AS lo, COALESCE(MAX(seq),0) AS hi FROM sample_chunks WHERE session_id = ?", f.session).
		Scan(&seqs).Error; err != nil {
		f.t.Fatal(err)
	}
	if st.Unacked != 0 || st.SamplesAcked != st.SamplesSent || cs.Samples != st.SamplesSent ||
		cs.Rows != st.BatchesSent || cs.Seqs != cs.Rows || seqs.Lo != 1 || seqs.Hi != uint64(st.BatchesSent) {
		var stored []uint64
		f.srv.App.Store.DB.Raw("SELECT seq FROM sample_chunks WHERE session_id = ?", f.session).Scan(&stored)
		var missing []uint64
		for s := uint64(1); s <= uint64(st.BatchesSent); s++ {
			if !slices.Contains(stored, s) {
				missing = append(missing, s)
			}
		}
		var refusals []string
		for _, r := range pat.All() {
			if e, ok := r.Body.(*wire.Error); ok && e.RefSeq > 0 {
				refusals = append(refusals, fmt.Sprintf("%s:%d", e.Code, e.RefSeq))
			}
		}
		f.t.Fatalf("not exactly once: patient %+v, stored %+v, seqs %d..%d, missing %v, refusals %v", st, cs, seqs.Lo, seqs.Hi, missing, refusals)
	}
	return st
}

func (f *fixture) storedState() (state, reason string) {
	f.t.Helper()
	var sess struct {
		State       string
		StateReason string `json:"state_reason"`
	}
	if st := f.th.Do(http.MethodGet, "/api/sessions/"+f.session, nil, &sess); st != http.StatusOK {
		f.t.Fatalf("session: %d", st)
	}
	return sess.State, sess.StateReason
}

// expectLinkLost: within 2 s of the cut the therapist is alerted, and the
// session is stored paused for link loss. It returns the alert's delay.
func (f *fixture) expectLinkLost(con *simpeer.Therapist, cut time.Time) time.Duration {
	f.t.Helper()
	a := wait(f.t, con, 5*time.Second, "link_lost alert", after(cut, alertCode("link_lost")))
	alertIn := a.At.Sub(cut)
	if alertIn > 2*time.Second {
		f.t.Fatalf("therapist alerted %v after the cut, want ≤ 2 s", alertIn)
	}
	wait(f.t, con, 3*time.Second, "paused", after(cut, state(store.LivePaused)))
	f.expectStoredLinkLost("after the cut")
	return alertIn
}

// expectBackAndHeld: once the link is back the patient gets calm.now, every
// batch settles exactly once, and the session stays paused, the patient
// never resumed, until the therapist's word.
func (f *fixture) expectBackAndHeld(h *headset, cut, back time.Time) (simpeer.Received, simpeer.PatientStats) {
	f.t.Helper()
	cn := wait(f.t, h.pat, 20*time.Second, "calm.now once back", after(back, simpeer.Type("calm.now")))
	if c, ok := cn.Body.(*wire.CalmNow); !ok || c.Reason != "link_lost" {
		f.t.Fatalf("calm.now %+v, want reason link_lost", cn.Body)
	}
	st := f.settle(h.pat, 20*time.Second)
	// The room runs on with the patient back for two heartbeat periods: still
	// the therapist's call.
	heartbeats(f.t, h.pat, time.Now(), 3, 10*time.Second)
	f.expectStoredLinkLost("before the therapist's word")
	if n := count(h.pat, after(cut, simpeer.Type("resume"))); n != 0 {
		f.t.Fatalf("the patient was resumed %d times without the therapist", n)
	}
	return cn, st
}

// resumeByTherapist: the therapist's resume brings the session live again
// and reaches the patient.
func (f *fixture) resumeByTherapist(con *simpeer.Therapist, h *headset, back time.Time) {
	f.t.Helper()
	con.Send("cmd.resume", wire.Empty{})
	wait(f.t, con, 5*time.Second, "live again", after(back, liveWithPatient))
	wait(f.t, h.pat, 5*time.Second, "resume reaches the patient", after(back, simpeer.Type("resume")))
}

func (f *fixture) expectStoredLinkLost(when string) {
	f.t.Helper()
	if s, reason := f.storedState(); s != store.LivePaused || reason != "link_lost" {
		f.t.Fatalf("stored %s (%s) %s, want paused (link_lost)", s, reason, when)
	}
}

func alertCode(code string) func(simpeer.Received) bool {
	return func(r simpeer.Received) bool {
		a, ok := r.Body.(*wire.Alert)
		return ok && a.Code == code
	}
}

func after(t time.Time, pred func(simpeer.Received) bool) func(simpeer.Received) bool {
	return func(r simpeer.Received) bool { return !r.At.Before(t) && pred(r) }
}

func liveWithPatient(r simpeer.Received) bool {
	s, ok := r.Body.(*wire.SessionState)
	return ok && s.State == store.LiveLive && s.Patient
}

// longestGap is the longest time without a control message from the
// server since from.
func longestGap(rs []simpeer.Received, from time.Time) time.Duration {
	var gap time.Duration
	last := from
	for _, r := range rs {
		if r.Spec.Channel != wire.Control || r.At.Before(from) {
			continue
		}
		gap = max(gap, r.At.Sub(last))
		last = r.At
	}
	return gap
}

// count returns how many received messages match pred.
func count(in interface{ All() []simpeer.Received }, pred func(simpeer.Received) bool) int {
	n := 0
	for _, r := range in.All() {
		if pred(r) {
			n++
		}
	}
	return n
}

// startLive brings a console and a faulty headset to a live session. The
// engine then runs at wall-clock speed so that the protocol's own steps
// (scene changes, the HR ceiling's pause) stay out of these minutes.
func startLive(t *testing.T, seed uint64) (*fixture, *simpeer.Therapist, *headset, *faultnet.Net) {
	f := newFixture(t, nil)
	con := f.console(f.session, "")
	h, fn := f.faultyHeadset(seed)
	wait(t, con, 10*time.Second, "live", state(store.LiveLive))
	f.srv.App.Live.SetEngineSpeed(1)
	return f, con, h, fn
}

// Loss and the link-loss rule. pion's SCTP repairs a lost datagram by fast
// retransmit or, on the sparse downlink, after its minimum RTO of 1 s
// (RFC 4960 §6.3.1, a constant in pion/sctp); if the retransmission is lost
// too the RTO doubles, and that stream is silent for 2–3 s. The server then
// rightly calls the patient silent (1.5 s) or the headset its control channel
// (2 s): the link is not alive by DESIGN.md §3's measure. With independent
// loss this takes two or three losses of the same data, so its rate grows
// roughly with the cube of the loss. Measured on loopback (6 sessions at
// once, 50–60 ms delay, no -race): 10 % loss, 3 link_lost in 3
// session-minutes; 5 %, 1 in 9; 3 %, none in 18 (longest control silence
// 1.76 s). So the alive test runs at 3 %, and 15 % is tested for what must
// hold whatever the rule decides.

// TestLinkFaultLossyAlive: 3 % of the patient's datagrams lost each way and
// 60 ± 20 ms one-way delay: the session stays live, no watchdog fires, every
// therapist command reaches the patient and every batch is stored exactly
// once.
func TestLinkFaultLossyAlive(t *testing.T) {
	f, con, h, fn := startLive(t, 21)
	fn.SetFault(faultnet.Both, faultnet.Fault{Loss: 0.03, Delay: 60 * time.Millisecond, Jitter: 20 * time.Millisecond})
	faulted := time.Now()
	// Ten prompts, each once the one before has arrived and the link has
	// carried two heartbeats after it: the fault is on for several seconds
	// of the room's clock with the therapist's commands spread through them.
	var relay []time.Duration
	for range 10 {
		seq := con.Send("cmd.suds_prompt", wire.Empty{})
		got := wait(t, h.pat, 10*time.Second, "suds.prompt over the lossy link", typeSrc("suds.prompt", seq))
		sent, _ := con.SentAt(seq)
		relay = append(relay, got.At.Sub(sent))
		heartbeats(t, h.pat, got.At, 2, 10*time.Second)
	}
	st := f.settle(h.pat, 20*time.Second) // with the fault still on
	ns := fn.Stats()
	if n := count(con, alertCode("link_lost")); n != 0 {
		t.Fatalf("link_lost fired %d times at 3 %% loss", n)
	}
	if calm, redial, _ := h.record(); len(calm)+len(redial) != 0 {
		t.Fatalf("the headset's watchdog fired (calm at %v)", calm)
	}
	if s, reason := f.storedState(); s != store.LiveLive {
		t.Fatalf("session %s (%s), want live", s, reason)
	}
	if ns.Outbound.Dropped+ns.Inbound.Dropped == 0 {
		t.Fatalf("the fault dropped nothing: %+v", ns)
	}
	slices.Sort(relay)
	t.Logf("dropped %d/%d out, %d/%d in; prompt relay median %v max %v; longest control silence at the headset %v; %d batches, %d samples stored once",
		ns.Outbound.Dropped, ns.Outbound.Packets, ns.Inbound.Dropped, ns.Inbound.Packets,
		relay[len(relay)/2], relay[len(relay)-1], longestGap(h.pat.All(), faulted), st.BatchesSent, st.SamplesSent)
}

// TestLinkFaultHeavyLoss: 15 % lost each way and 50 ± 15 ms delay for 10 s,
// the therapist prompting throughout. The link may or may not be declared
// lost (see above); what must hold either way: every link_lost pauses the
// session and is followed, once the patient is heard, by calm.now to the
// patient; nothing resumes without the therapist; and when the loss stops
// every batch made is stored exactly once.
func TestLinkFaultHeavyLoss(t *testing.T) {
	f, con, h, fn := startLive(t, 24)
	fn.SetFault(faultnet.Both, faultnet.Fault{Loss: 0.15, Delay: 50 * time.Millisecond, Jitter: 15 * time.Millisecond})
	faulted := time.Now()
	// The scenario is 10 s of heavy loss with the therapist prompting every
	// 700 ms: its length is the point (what holds must hold whatever the
	// link-loss rule made of it), so it is timed, not waited on; everything
	// asserted below waits on its condition.
	prompt := time.NewTicker(700 * time.Millisecond)
	for end := faulted.Add(10 * time.Second); time.Now().Before(end); <-prompt.C {
		con.Send("cmd.suds_prompt", wire.Empty{})
	}
	prompt.Stop()
	ns := fn.Stats()
	fn.SetFault(faultnet.Both, faultnet.Fault{})
	st := f.settle(h.pat, 30*time.Second)
	lost := count(con, alertCode("link_lost"))
	calm, redial, _ := h.record()
	if lost > 0 {
		var last simpeer.Received
		for _, r := range con.All() {
			if alertCode("link_lost")(r) {
				last = r
			}
		}
		wait(t, h.pat, 10*time.Second, "calm.now after the last link_lost", after(last.At, simpeer.Type("calm.now")))
		f.expectStoredLinkLost("after link_lost")
		if n := count(h.pat, after(faulted, simpeer.Type("resume"))); n != 0 {
			t.Fatalf("the patient was resumed %d times without the therapist", n)
		}
		f.resumeByTherapist(con, h, last.At)
	} else if s, reason := f.storedState(); s != store.LiveLive {
		t.Fatalf("stored %s (%s) with no link_lost, want live", s, reason)
	}
	t.Logf("dropped %d/%d out, %d/%d in; link_lost %d times, headset watchdog %d times, %d redials; longest control silence at the headset %v; "+
		"%d batches stored once (%d resent), %d ratings",
		ns.Outbound.Dropped, ns.Outbound.Packets, ns.Inbound.Dropped, ns.Inbound.Packets, lost, len(calm), len(redial),
		longestGap(h.pat.All(), faulted), st.BatchesSent, st.BatchesResent, st.RatingsAcked)
}

// TestLinkFaultBlackout cuts every packet of the patient's link both ways
// while ICE still reports it connected: the therapist is alerted within 2 s
// and the session is stored paused (link_lost); the headset's watchdog puts
// it in calm and it redials. When the link comes back the new connection
// resends the batches made in the dark, which are stored once; the patient
// gets calm.now and the session stays paused until the therapist resumes.
func TestLinkFaultBlackout(t *testing.T) {
	f, con, h, fn := startLive(t, 22)
	waitfor.Until(t, 10*time.Second, "batches acknowledged before the cut", func() bool { return h.pat.Stats().SamplesAcked > 0 })
	before := h.pat.Stats()
	fn.SetBlackout(faultnet.Both, true)
	cut := time.Now()

	alertIn := f.expectLinkLost(con, cut)
	early := con.Send("cmd.resume", wire.Empty{})
	wait(t, con, 3*time.Second, "no resume into a dead link", engineKind("command.refused", early))

	deadline := time.Now().Add(5 * time.Second)
	for calm, _, _ := h.record(); len(calm) == 0 && time.Now().Before(deadline); calm, _, _ = h.record() {
		time.Sleep(50 * time.Millisecond)
	}
	calm, _, _ := h.record()
	if len(calm) == 0 {
		t.Fatal("the headset's control channel never went silent for 2 s: its watchdog did not fire")
	}
	// The dark lasts until the headset, in calm, is dialling again and has
	// made batches it cannot deliver (about 2.5 s after the cut, short of the
	// 5 s after which ICE would call the old path failed anyway).
	waitfor.Until(t, 10*time.Second, "a redial and batches in the dark", func() bool {
		return h.dialling() && h.pat.Stats().BatchesSent > before.BatchesSent
	})
	inDark := h.pat.Stats().BatchesSent - before.BatchesSent
	fn.SetFault(faultnet.Both, faultnet.Fault{})
	back := time.Now()

	cn, st := f.expectBackAndHeld(h, cut, back)
	wait(t, con, 5*time.Second, "link_restored", after(back, alertCode("link_restored")))
	if st.BatchesResent == 0 || inDark == 0 {
		t.Fatalf("nothing made in the dark was resent: %d made, %+v", inDark, st)
	}
	f.resumeByTherapist(con, h, back)

	_, redial, failed := h.record()
	ns := fn.Stats()
	t.Logf("alert %v after the cut; headset calm after %v; %d redials (%d failed in the dark); calm.now %v after the link came back; "+
		"dropped %d out, %d in; %d batches made in the dark, %d resent; %d batches stored once",
		alertIn, calm[0].Sub(cut), len(redial), failed, cn.At.Sub(back),
		ns.Outbound.Dropped, ns.Inbound.Dropped, inDark, st.BatchesResent, st.BatchesSent)
}

// TestLinkFaultUplinkCut drops only what the patient sends: the server hears
// nothing (its heartbeats still reach the headset, at least at first). The
// safety outcome is the blackout's: alert within 2 s, paused (link_lost),
// calm.now when the patient is heard again, paused until the therapist
// resumes, nothing lost.
func TestLinkFaultUplinkCut(t *testing.T) {
	f, con, h, fn := startLive(t, 23)
	waitfor.Until(t, 10*time.Second, "batches acknowledged before the cut", func() bool { return h.pat.Stats().SamplesAcked > 0 })
	fn.SetBlackout(faultnet.Outbound, true)
	cut := time.Now()

	alertIn := f.expectLinkLost(con, cut)
	// The cut holds until the server, having called the link lost, is seen
	// still talking to the headset: a heartbeat it sent after the alert
	// arrives through the one-way cut.
	heartbeats(t, h.pat, cut.Add(alertIn), 1, 5*time.Second)
	heard := count(h.pat, after(cut.Add(200*time.Millisecond), simpeer.Type("heartbeat")))
	fn.SetBlackout(faultnet.Outbound, false)
	back := time.Now()

	cn, st := f.expectBackAndHeld(h, cut, back)
	f.resumeByTherapist(con, h, back)

	calm, redial, _ := h.record()
	ns := fn.Stats()
	t.Logf("alert %v after the cut; %d heartbeats reached the headset during the cut; watchdog fired %d times, %d redials; "+
		"calm.now %v after the uplink came back; dropped %d out, %d in; %d batches stored once (%d resent)",
		alertIn, heard, len(calm), len(redial), cn.At.Sub(back), ns.Outbound.Dropped, ns.Inbound.Dropped, st.BatchesSent, st.BatchesResent)
}
