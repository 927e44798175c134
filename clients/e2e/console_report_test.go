package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/havenvr/haven/server/biosignal"
	"github.com/havenvr/haven/server/ingest"
	"github.com/havenvr/haven/server/store"
)

// TestConsoleReportStepBands opens the report of a finished six-minute
// session seeded in the store — heart rate 60 bpm at rest, 70, 80 and 90 in
// three steps entered at 1, 3 and 5 minutes, with RR and EDA — and checks
// the physiology section against it: all three charts drawn, the steps
// shaded on the canvas as bands, and the per-step table (before the first
// step plus three steps) giving each level back. The live flow test cannot
// reach a step within its few seconds of simulated patient.
func TestConsoleReportStepBands(t *testing.T) {
	env := StartConsole(t)
	b := NewBrowser(t)
	p := env.SignIn(t, b, "en", store.RoleTherapist)
	api := env.Server.SignIn(t, env.Clinic.ID, store.RoleTherapist)
	var pat, sess struct{ ID string }
	if st := api.Do(http.MethodPost, "/api/patients", map[string]any{"code": "P-" + store.RandomToken(4), "birth_year": 1985, "screening": map[string]bool{}}, &pat); st != http.StatusCreated && st != http.StatusOK {
		t.Fatalf("creating patient: %d", st)
	}
	if st := api.Do(http.MethodPost, "/api/sessions", map[string]any{"patient_id": pat.ID, "protocol_id": "heights_ladder"}, &sess); st != http.StatusCreated {
		t.Fatalf("scheduling: %d", st)
	}
	db := env.Server.App.Store.DB
	start := time.Now().Add(-10 * time.Minute).Truncate(time.Second).UTC()
	end := start.Add(6 * time.Minute)
	t0 := start.UnixMilli()
	stepAt := []int64{60, 180, 300} // seconds
	level := func(s int64) float64 {
		hr := 60.0
		for _, at := range stepAt {
			if s >= at {
				hr += 10
			}
		}
		return hr
	}
	var hr, rr, eda []biosignal.Sample
	for s := int64(0); s < 360; s++ {
		hr = append(hr, biosignal.Sample{Stream: biosignal.HR, T: t0 + s*1000, V: level(s)})
		for k := int64(0); k < 4; k++ {
			eda = append(eda, biosignal.Sample{Stream: biosignal.EDA, T: t0 + s*1000 + k*250, V: 2 + 0.005*float64(s)})
		}
	}
	for at, k := float64(t0), 0; at < float64(t0+360_000); k++ {
		v := 60000/level(int64(at-float64(t0))/1000) + float64(k%2*30-15)
		at += v
		rr = append(rr, biosignal.Sample{Stream: biosignal.RR, T: int64(at), V: v})
	}
	for i, samples := range [][]biosignal.Sample{hr, rr, eda} {
		row, err := ingest.Chunk{SessionID: sess.ID, Stream: samples[0].Stream, Seq: uint64(i + 1), Samples: samples}.Row()
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Create(&row).Error; err != nil {
			t.Fatal(err)
		}
	}
	for i, at := range stepAt {
		ev := store.TimelineEvent{SessionID: sess.ID, At: start.Add(time.Duration(at) * time.Second), Kind: "engine.step.enter", Actor: "engine",
			Body: fmt.Sprintf(`{"index":%d,"step_id":"step-%d"}`, i, i+1)}
		if err := db.Create(&ev).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Model(&store.LiveSession{}).Where("id = ?", sess.ID).
		Updates(map[string]any{"state": store.LiveEnded, "started_at": start, "ended_at": end}).Error; err != nil {
		t.Fatal(err)
	}

	Go(t, p, "#/sessions/"+sess.ID+"/report")
	Wait(t, p, `document.querySelector('h2#phys-h') !== null`, 10*time.Second)
	checkReportPhysiology(t, p, "en-steps")
	// the bands: pixels of the step fill (blue at 6 % and 14 % opacity on a transparent canvas)
	bands := MustEval[[]int](p, `(() => {
	  const cv = document.querySelector('section.chart[data-series="hr"] canvas');
	  const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
	  let light = 0, dark = 0;
	  for (let i = 0; i < d.length; i += 4) {
	    if (d[i] > 20 || d[i + 2] < 150) continue;
	    if (Math.abs(d[i + 3] - 15) <= 3) light++;
	    if (Math.abs(d[i + 3] - 36) <= 3) dark++;
	  }
	  return [light, dark];
	})()`)
	if bands[0] < 1000 || bands[1] < 1000 {
		t.Errorf("step bands on the heart rate chart: %d light and %d dark pixels, want both shades drawn", bands[0], bands[1])
	}
	rows := MustEval[[][]string](p, `[...document.querySelectorAll('#phys-h ~ .table-wrap table tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent.trim()))`)
	want := [][2]string{{"Before the first step", "60 bpm"}, {"Step 1", "70 bpm"}, {"Step 2", "80 bpm"}, {"Step 3", "90 bpm"}}
	if len(rows) != len(want) {
		t.Fatalf("per-step table: %q, want %d rows", rows, len(want))
	}
	for i, w := range want {
		if len(rows[i]) != 5 || rows[i][0] != w[0] || rows[i][2] != w[1] || rows[i][3] == "—" || rows[i][4] == "—" {
			t.Errorf("per-step row %d = %q, want %s with %s and HRV and skin conductance values", i, rows[i], w[0], w[1])
		}
	}
	CheckPage(t, p, "en", "report-steps")
}
