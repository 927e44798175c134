package biosignal

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// TestExportAvoidance: a step's measures (the glance trace of
// server/avoidance: 4000 of 10500 ms on the stimulus, one 4 s episode) as
// a CSV row and as FHIR Observations — the share in %, 4000 / 10500 × 100 =
// 38.095…, the episodes as a count, the closest approach in m.
func TestExportAvoidance(t *testing.T) {
	closest := 0.5
	meta := ExportMeta{SessionID: "s1", Created: time.Unix(0, 0), Patient: &ExportPatient{ID: "p1"},
		Avoidance: []AvoidanceStep{{StepID: "step_01", Template: "spiders", T: 60_000, ObservedMs: 10500, OnStimulusMs: 4000,
			Share: 4000.0 / 10500, AwayEpisodes: 1, AwayMs: 4000, LongestAwayMs: 4000, ClosestM: &closest, Src: SelfReported}}}
	var buf bytes.Buffer
	if err := ExportAvoidanceCSV(&buf, meta); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if want := "60000,1970-01-01T00:01:00.000Z,step_01,spiders,10500,4000,0.3810,1,4000,4000,0.5,headset,"; len(lines) != 2 || lines[1] != want {
		t.Fatalf("CSV\n%s\nwant row %s", buf.String(), want)
	}
	data, err := ExportFHIR(meta, nil)
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		Entry []struct {
			Resource struct {
				ResourceType  string
				Code          struct{ Coding []struct{ Code string } }
				ValueQuantity struct {
					Value float64
					Code  string
				}
			}
		}
	}
	if err := json.Unmarshal(data, &bundle); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, e := range bundle.Entry {
		if e.Resource.ResourceType == "Observation" {
			got[e.Resource.Code.Coding[0].Code+" "+e.Resource.ValueQuantity.Code] = e.Resource.ValueQuantity.Value
		}
	}
	if v := got["gaze-on-stimulus %"]; math.Abs(v-38.0952380952) > 1e-6 || got["looking-away-episodes {episodes}"] != 1 || got["closest-approach m"] != 0.5 {
		t.Fatalf("observations %v", got)
	}
}
