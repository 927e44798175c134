package biosignal

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

// Two sources in one session: a strap, then the headset's demo sensor. Each
// export keeps them apart: Open mHealth calls only the strap's points
// "sensed" (omh:header-1.1 modality enum: sensed, self-reported), FHIR has a
// Device for each and the simulator's is tagged HTEST, the CSV names each
// row's source, and the ratings are self-reported by the patient.
func TestExportKeepsSourcesApart(t *testing.T) {
	t.Parallel()
	m := meta
	m.Patient = &ExportPatient{ID: "p-1", Code: "P-001"}
	m.Encounter = &ExportEncounter{ID: "sess-1", Status: "finished"}
	m.Sources = []Source{{Kind: SourceSensor, Name: "Polar H10"}, {Kind: SourceSimulator, Name: "demo"}}
	m.Ratings = []Rating{{Kind: RatingSUDS, T: t0 + 5000, V: 40, Src: SelfReported},
		{Kind: RatingExpectancy, T: t0 + 6000, V: 70, Phase: "before", Src: SelfReported}}
	samples := []Sample{{Stream: HR, T: t0, V: 70, Src: 0}, {Stream: HR, T: t0 + 1000, V: 90, Src: 1}}

	var pts []struct {
		Header struct {
			SchemaID   map[string]string `json:"schema_id"`
			Provenance map[string]string `json:"acquisition_provenance"`
			UserID     string            `json:"user_id"`
		}
	}
	out, err := ExportOMH(m, samples)
	if err != nil || json.Unmarshal(out, &pts) != nil || len(pts) != 4 {
		t.Fatalf("omh: %v %s", err, out)
	}
	want := []struct{ name, modality string }{{"heart-rate", "sensed"}, {"heart-rate", ""}, {"suds", "self-reported"}, {"expectancy", "self-reported"}}
	for i, w := range want {
		h := pts[i].Header
		if h.SchemaID["name"] != w.name || h.Provenance["modality"] != w.modality || h.Provenance["source_name"] == "" || h.UserID != "P-001" {
			t.Errorf("point %d header %+v, want %s modality %q", i, h, w.name, w.modality)
		}
	}

	fhir, err := ExportFHIR(m, samples)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Entry []struct {
			Resource map[string]any
		}
	}
	_ = json.Unmarshal(fhir, &b)
	kinds := map[string]int{}
	for _, e := range b.Entry {
		kinds[e.Resource["resourceType"].(string)]++
	}
	if kinds["Patient"] != 1 || kinds["Encounter"] != 1 || kinds["Device"] != 2 || kinds["Observation"] != 4 {
		t.Errorf("bundle resources %v, want 1 Patient, 1 Encounter, 2 Devices, 4 Observations", kinds)
	}
	if n := strings.Count(string(fhir), `"code": "HTEST"`); n != 2 { // the simulator's Device and its one Observation
		t.Errorf("HTEST tags: %d, want 2", n)
	}

	var buf bytes.Buffer
	if err := ExportCSV(&buf, HR, samples, m.Sources); err != nil {
		t.Fatal(err)
	}
	rows, _ := csv.NewReader(&buf).ReadAll()
	if len(rows) != 3 || rows[1][7] != "sensor" || rows[1][8] != "Polar H10" || rows[2][7] != "simulator" {
		t.Errorf("CSV %q", rows)
	}
	buf.Reset()
	if err := ExportRatingsCSV(&buf, m); err != nil {
		t.Fatal(err)
	}
	rows, _ = csv.NewReader(&buf).ReadAll()
	if len(rows) != 3 || rows[1][2] != "suds" || rows[1][4] != "40" || rows[2][3] != "before" || rows[2][6] != "self-reported" {
		t.Errorf("ratings CSV %q", rows)
	}
}
