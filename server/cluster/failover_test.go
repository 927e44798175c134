package cluster_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/bench/lb"
	"github.com/havenvr/haven/server/cluster/natstest"
	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/store/pgtest"
	"github.com/havenvr/haven/server/wire"
)

// node starts a Haven node of the test cluster: one PostgreSQL database and
// one NATS server shared by every node.
func node(t *testing.T, id, dsn, natsURL string, ttl time.Duration) *apptest.Server {
	t.Helper()
	return apptest.Start(t, func(c *config.Config) {
		c.DSN, c.NATS, c.NodeID, c.LeaseTTL = dsn, []string{natsURL}, id, ttl
	})
}

// twoNodes starts nodes a and b on a new PostgreSQL database and a new
// NATS server, with leases of ttl.
func twoNodes(t *testing.T, ttl time.Duration) (a, b *apptest.Server) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	ns, err := natstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	return node(t, "a", dsn, ns.URL(), ttl), node(t, "b", dsn, ns.URL(), ttl)
}

// joinCode schedules a heights-ladder session for a new patient and returns
// the patient's join code.
func joinCode(t *testing.T, th *apptest.Client) string {
	t.Helper()
	var pat struct{ ID string }
	if st := th.Do(http.MethodPost, "/api/patients", map[string]any{"code": "P-1", "birth_year": 1990, "screening": map[string]bool{}}, &pat); st != http.StatusCreated {
		t.Fatalf("patient: %d", st)
	}
	var sess struct{ ID string }
	if st := th.Do(http.MethodPost, "/api/sessions", map[string]any{"patient_id": pat.ID, "protocol_id": "heights_ladder"}, &sess); st != http.StatusCreated {
		t.Fatalf("session: %d", st)
	}
	var jc struct{ Code string }
	if st := th.Do(http.MethodPost, "/api/sessions/"+sess.ID+"/join-code", nil, &jc); st != http.StatusOK {
		t.Fatalf("join code: %d", st)
	}
	return jc.Code
}

// Two nodes: the patient's headset reaches node b, which takes the room;
// the therapist's console reaches node a, which forwards the signalling to
// b. Then b dies without a word to NATS. Its lease expires, the headset's
// reconnect lands on a, which takes the room from PostgreSQL: every
// sample is stored exactly once, the patient is held in the calm scene,
// and the session goes on only when the therapist resumes.
func TestFailoverNothingLost(t *testing.T) {
	const ttl = 2 * time.Second
	a, b := twoNodes(t, ttl)
	a.App.Live.SetEngineSpeed(200) // the baseline passes in under a second
	b.App.Live.SetEngineSpeed(200)
	clinic := a.NewClinic(t, "Clinic")
	th := a.SignIn(t, clinic.ID, store.RoleTherapist)

	jc := joinCode(t, th)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// The headset's load balancer prefers b while b is up.
	bal := lb.Start([]string{b.URL, a.URL}, false)
	t.Cleanup(bal.Close)
	lb := bal.URL()
	sid, tok, err := simpeer.Join(ctx, http.DefaultClient, lb, jc)
	if err != nil {
		t.Fatal(err)
	}
	p := simpeer.NewPatient(simpeer.PatientOptions{BaseURL: lb, SessionID: sid, Token: tok, Seed: 5})
	if err := p.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	p.Start()
	t.Cleanup(p.Close)
	if h, ok, err := a.App.Cluster.Lookup(ctx, "live."+sid); err != nil || !ok || h.Node != "b" {
		t.Fatalf("owner after the headset reached b: %+v %v %v", h, ok, err)
	}
	console := func() *simpeer.Therapist {
		h := http.Header{}
		h.Set("X-CSRF-Token", th.CSRF)
		c, err := simpeer.DialTherapist(ctx, simpeer.TherapistOptions{URL: a.URL + "/api/sessions/" + sid + "/console/whip", Header: h, HTTP: th.HTTP})
		if err != nil {
			t.Fatalf("console through a: %v", err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	con := console() // reaches a, forwarded to b
	if _, err := con.Wait(ctx, func(r simpeer.Received) bool {
		s, ok := r.Body.(*wire.SessionState)
		return ok && s.State == store.LiveLive
	}); err != nil {
		t.Fatalf("console through a never saw the session live on b: %v", err)
	}
	if _, err := p.Wait(ctx, func(r simpeer.Received) bool { return r.Type == "signals.ack" && r.Ack >= 4 }); err != nil {
		t.Fatal(err)
	}

	// b dies: cut from NATS first (no lease is released), then stopped.
	b.App.Cluster.Conn().Close()
	killed := time.Now()
	b.Close()
	var back time.Duration
	for {
		p.Disconnect()
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
		err := p.Connect(cctx)
		ccancel()
		if err == nil {
			back = time.Since(killed)
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the headset never got back in: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if h, ok, err := a.App.Cluster.Lookup(ctx, "live."+sid); err != nil || !ok || h.Node != "a" {
		t.Fatalf("owner after failover: %+v %v %v", h, ok, err)
	}
	if back > ttl+3*time.Second {
		t.Fatalf("headset back %s after the kill; the lease TTL is %s", back, ttl)
	}
	t.Logf("headset connected again %s after b died (lease TTL %s)", back.Round(time.Millisecond), ttl)

	// Calm until the therapist says otherwise.
	if _, err := p.Wait(ctx, simpeer.Type("calm.now")); err != nil {
		t.Fatalf("no calm scene after failover: %v", err)
	}
	// the sensor keeps producing on the new owner: a few more batches go out
	for sent, deadline := p.Stats().BatchesSent, time.Now().Add(15*time.Second); p.Stats().BatchesSent < sent+3; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no new batches after failover: %+v", p.Stats())
		}
	}
	p.StopStreaming()
	for deadline := time.Now().Add(15 * time.Second); p.Stats().Unacked > 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still unacknowledged: %+v", p.Stats())
		}
	}
	st := p.Stats()
	var cs struct{ Rows, Samples, Firsts int64 }
	if err := a.App.Store.DB.Raw("SELECT COUNT(*) AS rows, COALESCE(SUM(n),0) AS samples, COUNT(DISTINCT stream || ':' || t0) AS firsts FROM sample_chunks WHERE session_id = ?", sid).
		Scan(&cs).Error; err != nil {
		t.Fatal(err)
	}
	if st.SamplesAcked != st.SamplesSent || cs.Samples != st.SamplesSent || cs.Rows != st.BatchesSent || cs.Firsts != cs.Rows {
		t.Fatalf("not exactly once: patient %+v, stored %+v", st, cs)
	}
	con = console() // the old console's peer died with b
	if _, err := con.Wait(ctx, func(r simpeer.Received) bool {
		s, ok := r.Body.(*wire.SessionState)
		return ok && s.State == store.LivePaused
	}); err != nil {
		t.Fatalf("session not paused after failover: %v", err)
	}
	con.Send("cmd.resume", wire.Empty{})
	if _, err := p.Wait(ctx, simpeer.Type("resume")); err != nil {
		t.Fatalf("the therapist's resume never reached the headset: %v", err)
	}
}
