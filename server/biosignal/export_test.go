package biosignal

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func exportSamples() []Sample {
	s := []Sample{
		{Stream: HR, T: t0, V: 72}, {Stream: HR, T: t0 + 1000, V: 300, Flags: FlagOutOfRange},
		{Stream: Resp, T: t0, V: 12}, {Stream: EDA, T: t0, V: 2}, {Stream: EDA, T: t0 + 250, V: 4},
		{Stream: SkinTemp, T: t0, V: 33}, {Stream: SkinTemp, T: t0 + 250, V: 33.5},
		{Stream: SkinTemp, T: t0 + 500, V: 50, Flags: FlagOutOfRange},
	}
	tm := t0
	for _, v := range []float64{800, 810, 815, 750} {
		tm += int64(v)
		s = append(s, Sample{Stream: RR, T: tm, V: v})
	}
	return s
}

var meta = ExportMeta{SessionID: "sess-1", PatientRef: "Patient/p-1", Created: time.Unix(1_732_300_000, 0)}

func TestExportCSV(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := ExportCSV(&buf, HR, exportSamples(), nil); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "t_unix_ms" || rows[1][2] != "72" || rows[1][1] != "2024-11-22T01:46:40.000Z" ||
		// UCUM writes heart rate as "/min" ("bpm" is not a UCUM unit;
		// UCUM specification, https://ucum.org/ucum, and HL7 FHIR vital-signs
		// profile, Observation heart rate valueQuantity.code "/min").
		rows[2][2] != "300" || rows[2][4] != "true" || rows[1][3] != "/min" {
		t.Errorf("CSV rows %q", rows)
	}
}

func TestExportFHIR(t *testing.T) {
	t.Parallel()
	out, err := ExportFHIR(meta, exportSamples())
	if err != nil {
		t.Fatal(err)
	}
	b := decodeBundle(t, out)
	got := map[string]float64{}
	for _, e := range b.Entry {
		c := e.Resource.Code.Coding[0]
		got[c.System+"|"+c.Code] = e.Resource.Value.Value
		if !strings.HasPrefix(e.FullURL, "urn:uuid:") || e.Resource.Subject["reference"] != "Patient/p-1" {
			t.Errorf("entry %+v", e)
		}
		if c.Code == "61008-9" && (e.Resource.Value.Code != "Cel" || e.Resource.Value.System != "http://unitsofmeasure.org") {
			t.Errorf("skin temperature quantity %+v, want UCUM Cel", e.Resource.Value)
		}
	}
	want := map[string]float64{
		"http://loinc.org|8867-4": 72, "http://loinc.org|9279-1": 12, LocalCodeSystem + "|skin-conductance": 3,
		"http://loinc.org|80404-7": 29.825883613622135, LocalCodeSystem + "|rmssd": 38.07886552931954, LocalCodeSystem + "|pnn50": 25,
		"http://loinc.org|61008-9": 33.25, // skin temperature, 1-minute mean; the 50 °C artifact left out
	}
	if b.ResourceType != "Bundle" || b.Type != "collection" || len(b.Entry) != len(want) {
		t.Errorf("bundle %s/%s with %d entries (artifact must be left out): %v", b.ResourceType, b.Type, len(b.Entry), got)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v, want %v", k, g, v)
		}
	}
	again, _ := ExportFHIR(meta, exportSamples())
	if !bytes.Equal(out, again) {
		t.Error("export not deterministic")
	}
}

type fhirBundle struct {
	ResourceType, Type string
	Entry              []struct {
		FullURL  string `json:"fullUrl"`
		Resource struct {
			ResourceType string
			Code         struct{ Coding []fhirCoding }
			Subject      map[string]string
			Value        fhirQuantity `json:"valueQuantity"`
		}
	}
}

// decodeBundle decodes a bundle and keeps its Observations (the Device of
// each source is checked in export_context_test.go).
func decodeBundle(t *testing.T, out []byte) fhirBundle {
	t.Helper()
	var b fhirBundle
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatal(err)
	}
	obs := b.Entry[:0]
	for _, e := range b.Entry {
		if e.Resource.ResourceType == "Observation" {
			obs = append(obs, e)
		}
	}
	b.Entry = obs
	return b
}

// Every stream of the catalogue is either exported to FHIR or skipped with a
// documented reason: a new stream without a plan, or a plan that yields no
// Observation from clean samples, fails here instead of vanishing silently.
func TestExportFHIRCoversEveryStream(t *testing.T) {
	t.Parallel()
	for _, st := range Streams {
		t.Run(string(st), func(t *testing.T) {
			plan, ok := fhirPlans[st]
			if !ok {
				t.Fatalf("stream %s has no FHIR plan", st)
			}
			if plan.how == fhirSkip {
				if plan.why == "" {
					t.Errorf("stream %s skipped without a reason", st)
				}
				return
			}
			sp, _ := SpecOf(st)
			v := (sp.Min + sp.Max) / 2
			var samples []Sample
			for i, tm := 0, t0; i < 10; i++ {
				tm += int64(v) // a beat every v ms for RR; any spacing elsewhere
				samples = append(samples, Sample{Stream: st, T: tm, V: v})
			}
			out, err := ExportFHIR(meta, samples)
			if err != nil {
				t.Fatal(err)
			}
			b := decodeBundle(t, out)
			if len(b.Entry) == 0 {
				t.Fatalf("stream %s: plan %d but no Observation", st, plan.how)
			}
			if plan.how == fhirHRV {
				return
			}
			for _, e := range b.Entry {
				if c := e.Resource.Code.Coding[0]; c != plan.kind.coding || e.Resource.Value.Code != plan.kind.unit {
					t.Errorf("stream %s exported as %+v in %q", st, c, e.Resource.Value.Code)
				}
			}
		})
	}
	// ble_hrs reaches ExportFHIR only as the hr and rr samples it expands to.
	b := Batch{Stream: BLEHRS, Unit: "raw", T0: t0, Offsets: []int64{0}, Raw: [][]byte{mustHex(t, "16 48 54 01 EC 02")}}
	s, err := b.Expand()
	if err != nil {
		t.Fatal(err)
	}
	out, err := ExportFHIR(meta, s)
	if err != nil || len(decodeBundle(t, out).Entry) != 4 { // HR 72, then SDNN, RMSSD, pNN50 of 2 beats
		t.Errorf("ble_hrs expanded: %v, %s", err, out)
	}
	if _, err := ExportFHIR(meta, []Sample{{Stream: "temp_core", T: t0, V: 37}}); !errors.Is(err, &Error{Code: CodeUnknownStream}) {
		t.Errorf("unknown stream: %v, want unknown_stream", err)
	}
}

func TestExportOMH(t *testing.T) {
	t.Parallel()
	out, err := ExportOMH(meta, exportSamples())
	if err != nil {
		t.Fatal(err)
	}
	var pts []struct {
		Header struct {
			SchemaID map[string]string `json:"schema_id"`
		}
		Body map[string]struct {
			Value float64
			Unit  string
		}
	}
	if err := json.Unmarshal(out, &pts); err != nil {
		t.Fatal(err)
	}
	if len(pts) != 5 || pts[0].Header.SchemaID["name"] != "heart-rate" || pts[0].Body["heart_rate"].Value != 72 || pts[0].Body["heart_rate"].Unit != "beats/min" ||
		pts[1].Header.SchemaID["name"] != "rr-interval" || pts[1].Body["rr_interval"].Value != 800 || pts[1].Body["rr_interval"].Unit != "ms" {
		t.Errorf("OMH %s", out)
	}
}
