package live_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// practiceView is the part of a session view these tests read.
type practiceView struct {
	ID, State string
	PatientID string `json:"patient_id"`
	Practice  bool   `json:"practice"`
}

// TestSimulateNeverDialsTheRequestHost is issue 17's request forgery: the
// server used to build the address it dialled from the request's Host, so
// `Host: 127.0.0.1:OTHERPORT` made it POST a fresh patient token and an SDP
// offer there, and replaced the real patient's token even when that failed.
// Now the simulated patient is served in-process on a practice copy of the
// session: the other port hears nothing, the real patient's token still
// works, and the practice session runs with the server's default network
// settings (not loopback-only: what `make run` uses).
func TestSimulateNeverDialsTheRequestHost(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, func(c *config.Config) { c.LoopbackOnly = false }, nil)
	// The real patient joins first and holds a token.
	sid, realToken, err := simpeer.Join(ctxT(t, 10*time.Second), http.DefaultClient, f.srv.URL, f.joinCode(f.session))
	if err != nil || sid != f.session {
		t.Fatalf("join: %v", err)
	}

	// A listener standing for whatever a forged Host names.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var dialled atomic.Int32
	trap := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dialled.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}), ReadHeaderTimeout: time.Second}
	go func() { _ = trap.Serve(ln) }()
	t.Cleanup(func() { _ = trap.Close() })

	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/api/sessions/"+f.session+"/simulate", nil)
	req.Host = ln.Addr().String()
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("X-CSRF-Token", f.th.CSRF)
	resp, err := f.th.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var practice practiceView
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(body, &practice) != nil {
		t.Fatalf("simulate: %d %s", resp.StatusCode, body)
	}
	if n := dialled.Load(); n != 0 {
		t.Fatalf("the server dialled the address in the Host header %d times", n)
	}
	if practice.ID == f.session || !practice.Practice {
		t.Fatalf("simulate ran on the real session: %+v", practice)
	}

	// The real patient's token is untouched: its WHIP request authenticates
	// (an invalid offer is refused as such, not as unauthorized).
	wreq, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/api/sessions/"+f.session+"/whip", strings.NewReader("not sdp"))
	wreq.Header.Set("Authorization", "Bearer "+realToken)
	wreq.Header.Set("Content-Type", "application/sdp")
	wresp, err := http.DefaultClient.Do(wreq)
	if err != nil {
		t.Fatal(err)
	}
	wresp.Body.Close()
	if wresp.StatusCode == http.StatusUnauthorized {
		t.Fatal("the real patient's token was replaced by the simulation")
	}

	// The practice session belongs to the training patient, who is not
	// among the clinic's patients, and the real session stays as it was.
	var list struct {
		Patients []struct{ ID string } `json:"patients"`
	}
	f.th.Do(http.MethodGet, "/api/patients", nil, &list)
	for _, p := range list.Patients {
		if p.ID == practice.PatientID {
			t.Fatalf("training patient %s listed among real patients", p.ID)
		}
	}
	var real practiceView
	f.th.Do(http.MethodGet, "/api/sessions/"+f.session, nil, &real)
	if real.Practice || real.PatientID == practice.PatientID {
		t.Fatalf("real session changed: %+v", real)
	}
	// The simulated headset connected over WebRTC under the default network
	// settings: its batches arrive and are committed.
	deadline := time.Now().Add(15 * time.Second)
	for {
		var rep struct{ Samples map[string]int64 }
		f.th.Do(http.MethodGet, "/api/sessions/"+practice.ID+"/report", nil, &rep)
		if rep.Samples["hr"] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no samples from the simulated patient: %+v", rep)
		}
		time.Sleep(50 * time.Millisecond)
	}
	f.th.Do(http.MethodPost, "/api/sessions/"+practice.ID+"/end", nil, nil)
}

// TestSimulatedSessionExports runs a practice session with the simulated
// patient and checks every export names the simulator (issue 15):
// FHIR — each Observation references a Device tagged as test data (v3
// ActReason HTEST) and typed simulator, the Encounter and the Patient, all
// present in the bundle; SUDS is an Observation. Open mHealth — no point of
// a simulated sample is "sensed" (omh:header-1.1's modality enum is sensed
// or self-reported only). CSV — a source_kind column reading simulator, and
// a ratings CSV with the SUDS ratings.
func TestSimulatedSessionExports(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]any{"protocol_id": "heights_ladder", "practice": true, "patient_id": ""})
	var sess practiceView
	f.th.Do(http.MethodGet, "/api/sessions/"+f.session, nil, &sess)
	if !sess.Practice {
		t.Fatalf("practice flag not kept: %+v", sess)
	}
	con := f.console(f.session, "")
	var simulated practiceView
	if st := f.th.Do(http.MethodPost, "/api/sessions/"+f.session+"/simulate", nil, &simulated); st != http.StatusAccepted || simulated.ID != f.session {
		t.Fatalf("simulate on a practice session: %d %+v", st, simulated)
	}
	wait(t, con, 10*time.Second, "live", state(store.LiveLive))
	wait(t, con, 10*time.Second, "advance suggestion", engineKind("suggest", 0))
	adv := con.Send("cmd.advance", wire.CmdAdvance{})
	wait(t, con, 10*time.Second, "SUDS rating", simpeer.Type("suds.rating"))
	_ = adv
	m := wait(t, con, 10*time.Second, "metrics from the simulator", func(r simpeer.Received) bool {
		b, ok := r.Body.(*wire.Metrics)
		return ok && b.Source == "simulator"
	})
	_ = m
	con.Send("cmd.end", wire.Empty{})
	wait(t, con, 5*time.Second, "ended", state(store.LiveEnded))

	// The report says where the data came from.
	var rep struct {
		Provenance string
		Sources    []struct {
			Kind    string
			Samples int64
		}
	}
	f.th.Do(http.MethodGet, "/api/sessions/"+f.session+"/report", nil, &rep)
	if rep.Provenance != "simulated" || len(rep.Sources) != 1 || rep.Sources[0].Kind != "simulator" || rep.Sources[0].Samples == 0 {
		t.Fatalf("report provenance %+v", rep)
	}

	// FHIR bundle.
	raw := f.export(t, "fhir")
	var bundle struct {
		ResourceType string
		Entry        []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		}
	}
	if err := json.Unmarshal(raw, &bundle); err != nil || bundle.ResourceType != "Bundle" {
		t.Fatalf("bundle: %v %.200s", err, raw)
	}
	type ref struct{ Reference string }
	type coding struct{ System, Code string }
	byURL := map[string]map[string]any{}
	var obs []struct {
		Subject, Encounter, Device ref
		Code                       struct{ Coding []coding }
	}
	for _, e := range bundle.Entry {
		var r map[string]any
		_ = json.Unmarshal(e.Resource, &r)
		byURL[e.FullURL] = r
		if r["resourceType"] == "Observation" {
			var o struct {
				Subject, Encounter, Device ref
				Code                       struct{ Coding []coding }
			}
			_ = json.Unmarshal(e.Resource, &o)
			obs = append(obs, o)
		}
	}
	validateR4(t, raw)
	suds := 0
	for _, o := range obs {
		if byURL[o.Subject.Reference]["resourceType"] != "Patient" || byURL[o.Encounter.Reference]["resourceType"] != "Encounter" {
			t.Fatalf("observation without its patient or encounter in the bundle: %+v", o)
		}
		dev := byURL[o.Device.Reference]
		if dev["resourceType"] != "Device" || !strings.Contains(string(mustJSON(dev)), `"code":"HTEST"`) ||
			!strings.Contains(string(mustJSON(dev["type"])), `"code":"simulator"`) {
			t.Fatalf("observation %v: device %v is not marked simulated", o.Code, dev)
		}
		if o.Code.Coding[0].Code == "suds" {
			suds++
		}
	}
	if len(obs) == 0 || suds == 0 {
		t.Fatalf("%d observations, %d SUDS", len(obs), suds)
	}

	// Open mHealth.
	var pts []struct {
		Header struct {
			SchemaID   map[string]string `json:"schema_id"`
			Provenance map[string]string `json:"acquisition_provenance"`
		}
	}
	if err := json.Unmarshal(f.export(t, "omh"), &pts); err != nil || len(pts) == 0 {
		t.Fatalf("omh: %v (%d points)", err, len(pts))
	}
	omhSUDS := 0
	for _, p := range pts {
		if p.Header.Provenance["modality"] != "" || !strings.Contains(p.Header.Provenance["source_name"], "simulated") {
			t.Fatalf("simulated point with provenance %v", p.Header.Provenance)
		}
		if p.Header.SchemaID["name"] == "suds" {
			omhSUDS++
		}
	}
	if omhSUDS == 0 {
		t.Fatal("no SUDS data point in Open mHealth")
	}

	// CSV: a provenance column, and the ratings.
	rows := readCSV(t, f.export(t, "csv?stream=hr"))
	if len(rows) < 2 || rows[0][7] != "source_kind" || rows[1][7] != "simulator" {
		t.Fatalf("hr CSV %q", rows[:min(2, len(rows))])
	}
	ratings := readCSV(t, f.export(t, "csv?stream=ratings"))
	if len(ratings) < 2 || ratings[1][2] != "suds" || ratings[1][6] != "simulator" {
		t.Fatalf("ratings CSV %q", ratings)
	}
}

// TestEmptySessionBundle: a session with nothing recorded still names its
// Patient and Encounter and has no empty array (FHIR R4 JSON rules).
func TestEmptySessionBundle(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	raw := f.export(t, "fhir")
	if bytes.Contains(raw, []byte("[]")) {
		t.Fatalf("empty array in %s", raw)
	}
	validateR4(t, raw)
	var b struct {
		Entry []struct{ Resource struct{ ResourceType string } }
	}
	_ = json.Unmarshal(raw, &b)
	if len(b.Entry) != 2 || b.Entry[0].Resource.ResourceType != "Patient" || b.Entry[1].Resource.ResourceType != "Encounter" {
		t.Fatalf("empty session bundle %s", raw)
	}
}

func (f *fixture) export(t *testing.T, format string) []byte {
	t.Helper()
	resp, err := f.th.HTTP.Get(f.srv.URL + "/api/sessions/" + f.session + "/export/" + format)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export %s: %d %s", format, resp.StatusCode, b)
	}
	return b
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// TestUnscreenedPatient: a patient nobody screened is "not_screened" in the
// patient API (not a clear screening), an exposure session for them is
// refused with screening_required (localized), and goes ahead only with a
// recorded override reason, kept on the session and its timeline
// (CLINICAL.md §5).
func TestUnscreenedPatient(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var p struct {
		ID             string
		ScreeningState string `json:"screening_state"`
		ScreeningAcked bool   `json:"screening_acked"`
	}
	f.th.Do(http.MethodPost, "/api/patients", map[string]any{"code": "NEW-1", "birth_year": 1990}, &p)
	if p.ScreeningState != "not_screened" || p.ScreeningAcked {
		t.Fatalf("unscreened patient reads %+v", p)
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/api/sessions", strings.NewReader(`{"patient_id":"`+p.ID+`","protocol_id":"heights_ladder"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "es")
	req.Header.Set("X-CSRF-Token", f.th.CSRF)
	resp, err := f.th.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	st := resp.StatusCode
	_ = json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if st != http.StatusConflict || e.Error.Code != "screening_required" || !strings.Contains(e.Error.Message, "cribado") {
		t.Fatalf("unscreened exposure: %d %+v", st, e)
	}
	var sess struct {
		ID                string
		ScreeningOverride string `json:"screening_override"`
	}
	st = f.th.Do(http.MethodPost, "/api/sessions", map[string]any{"patient_id": p.ID, "protocol_id": "heights_ladder",
		"screening_override": map[string]string{"reason": "Screened on paper at intake; record to follow."}}, &sess)
	if st != http.StatusCreated || sess.ScreeningOverride == "" {
		t.Fatalf("override: %d %+v", st, sess)
	}
	var tl []struct{ Kind string }
	f.th.Do(http.MethodGet, "/api/sessions/"+sess.ID+"/timeline", nil, &tl)
	if len(tl) < 2 || tl[1].Kind != "screening.override" {
		t.Fatalf("timeline %+v", tl)
	}
	// Screening with nothing flagged is "clear".
	f.th.Do(http.MethodPatch, "/api/patients/"+p.ID, map[string]any{"screening": map[string]bool{"epilepsy": false}}, &p)
	if p.ScreeningState != "clear" || !p.ScreeningAcked {
		t.Fatalf("screened patient reads %+v", p)
	}
}

// TestScheduleForATime: a session planned for a time is listed as upcoming;
// one for now is not; a time in the past is refused.
func TestScheduleForATime(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	at := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	later := f.schedule(map[string]any{"protocol_id": "heights_ladder", "scheduled_for": at})
	var up []struct {
		ID           string
		ScheduledFor *time.Time `json:"scheduled_for"`
	}
	f.th.Do(http.MethodGet, "/api/sessions?upcoming=1", nil, &up)
	if len(up) != 1 || up[0].ID != later || up[0].ScheduledFor == nil || !up[0].ScheduledFor.Equal(at) {
		t.Fatalf("upcoming %+v, want only %s at %s", up, later, at)
	}
	var e struct{ Error struct{ Code, Field string } }
	st := f.th.Do(http.MethodPost, "/api/sessions", map[string]any{"patient_id": f.patientID(), "protocol_id": "heights_ladder",
		"scheduled_for": time.Now().Add(-time.Hour)}, &e)
	if st != http.StatusUnprocessableEntity || e.Error.Field != "scheduled_for" {
		t.Fatalf("past time: %d %+v", st, e)
	}
}

// validateR4 checks a bundle against FHIR R4 (4.0.1)'s StructureDefinitions
// with FHIR.js (clients/tools/fhir_validate.mjs): cardinalities such as
// Observation.status and .code 1..1, Encounter.status and .class 1..1, and
// no element the spec does not define. It needs Node and the clients' npm
// packages (scripts/install-deps.sh); without them it skips.
func validateR4(t *testing.T, bundle []byte) {
	t.Helper()
	node, err := exec.LookPath("node")
	script, _ := filepath.Abs("../../clients/tools/fhir_validate.mjs")
	if _, serr := os.Stat("../../clients/node_modules/fhir"); err != nil || serr != nil {
		t.Skip("FHIR R4 validation needs node and clients/node_modules (scripts/install-deps.sh)")
	}
	file := filepath.Join(t.TempDir(), "bundle.json")
	if err := os.WriteFile(file, bundle, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, file)
	cmd.Dir = "../../clients"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("FHIR R4 validation: %v\n%s", err, out)
	}
}
