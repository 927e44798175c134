package biosignal

import (
	"crypto/sha1"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
)

// LocalCodeSystem is Haven's own FHIR code system for measures without a
// LOINC code (RMSSD, pNN50, skin conductance): none was found in LOINC, so
// these codes are local and documented in docs/biosignals.md. Every other
// Observation carries a LOINC code (see obsHR and the codes beside it).
const LocalCodeSystem = "https://havenvr.org/fhir/CodeSystem/biosignal"

// ExportMeta identifies what an export belongs to. Created is the export
// time (passed in: exporters read no clock).
type ExportMeta struct {
	SessionID  string
	PatientRef string // FHIR reference, e.g. "Patient/p-123" (pseudonymous)
	Created    time.Time
}

func isoMs(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z") }

// ExportCSV writes one stream's samples as CSV with a header. Artifacts are
// kept and flagged (never dropped), so a researcher can apply their own rules.
func ExportCSV(w io.Writer, stream Stream, samples []Sample) error {
	cw := csv.NewWriter(w)
	unit := specs[stream].Unit
	if err := cw.Write([]string{"t_unix_ms", "time_utc", "value", "unit", "out_of_range", "jump", "no_contact"}); err != nil {
		return fmt.Errorf("biosignal: writing CSV header: %w", err)
	}
	b := func(f Flag, s Sample) string { return strconv.FormatBool(s.Flags&f != 0) }
	for _, s := range samples {
		if s.Stream != stream {
			continue
		}
		rec := []string{strconv.FormatInt(s.T, 10), isoMs(s.T), strconv.FormatFloat(s.V, 'g', -1, 64), unit,
			b(FlagOutOfRange, s), b(FlagJump, s), b(FlagNoContact, s)}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("biosignal: writing CSV row: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("biosignal: flushing CSV: %w", err)
	}
	return nil
}

// nameUUID is a deterministic RFC 4122 version-5-style UUID from a name, so
// re-exporting a session yields identical resource ids.
func nameUUID(parts ...string) string {
	h := sha1.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	s := h.Sum(nil)
	s[6] = s[6]&0x0f | 0x50
	s[8] = s[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

type fhirCoding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display"`
}

type fhirQuantity struct {
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	System string  `json:"system"`
	Code   string  `json:"code"`
}

type fhirObs struct {
	ResourceType string              `json:"resourceType"`
	ID           string              `json:"id"`
	Status       string              `json:"status"`
	Category     []map[string]any    `json:"category"`
	Code         map[string]any      `json:"code"`
	Subject      *map[string]string  `json:"subject,omitempty"`
	Effective    string              `json:"effectiveDateTime,omitempty"`
	Period       map[string]string   `json:"effectivePeriod,omitempty"`
	Value        fhirQuantity        `json:"valueQuantity"`
	Note         []map[string]string `json:"note,omitempty"`
}

type obsKind struct {
	coding   fhirCoding
	unit     string // UCUM
	category string
}

// Observation codes. LOINC 8867-4 heart rate, 9279-1 respiratory rate,
// 59408-5 oxygen saturation by pulse oximetry, 80404-7 R-R interval standard
// deviation (SDNN), 61008-9 body surface temperature (skin_temp); RMSSD,
// pNN50 and skin conductance are local codes (LocalCodeSystem). Units are
// UCUM codes, written as both Quantity.unit and Quantity.code: /min, %, ms,
// uS (microsiemens) and Cel (degree Celsius).
//
// Skin temperature is not LOINC 39106-0 "Temperature of Skin": that term is
// a physical-examination finding (property Find, scale Nom; answers such as
// cool or warm), so it takes a coded value, never a quantity in Cel. 61008-9
// "Body surface temperature" is the quantitative term (component Body
// temperature, property Temp, system Surface, scale Qn, example unit deg C).
// Nor is it 8310-5 "Body temperature": that means core temperature, and a
// 32 °C wrist reading coded so would read as severe hypothermia. Skin
// temperature and EDA go under category exam, not vital-signs, whose FHIR R4
// profiles fix the codes allowed.
var (
	obsHR       = obsKind{fhirCoding{"http://loinc.org", "8867-4", "Heart rate"}, "/min", "vital-signs"}
	obsResp     = obsKind{fhirCoding{"http://loinc.org", "9279-1", "Respiratory rate"}, "/min", "vital-signs"}
	obsSpO2     = obsKind{fhirCoding{"http://loinc.org", "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"}, "%", "vital-signs"}
	obsSDNN     = obsKind{fhirCoding{"http://loinc.org", "80404-7", "R-R interval.standard deviation (Heart rate variability)"}, "ms", "exam"}
	obsRMSSD    = obsKind{fhirCoding{LocalCodeSystem, "rmssd", "Root mean square of successive RR differences"}, "ms", "exam"}
	obsPNN50    = obsKind{fhirCoding{LocalCodeSystem, "pnn50", "Share of successive RR differences > 50 ms"}, "%", "exam"}
	obsEDA      = obsKind{fhirCoding{LocalCodeSystem, "skin-conductance", "Skin conductance, 1-minute mean"}, "uS", "exam"}
	obsSkinTemp = obsKind{fhirCoding{"http://loinc.org", "61008-9", "Body surface temperature"}, "Cel", "exam"}
)

func (m ExportMeta) obs(k obsKind, key string, v float64) fhirObs {
	o := fhirObs{
		ResourceType: "Observation", ID: nameUUID(m.SessionID, k.coding.Code, key), Status: "final",
		Category: []map[string]any{{"coding": []fhirCoding{{"http://terminology.hl7.org/CodeSystem/observation-category", k.category, k.category}}}},
		Code:     map[string]any{"coding": []fhirCoding{k.coding}, "text": k.coding.Display},
		Value:    fhirQuantity{Value: v, Unit: k.unit, System: "http://unitsofmeasure.org", Code: k.unit},
	}
	if m.PatientRef != "" {
		o.Subject = &map[string]string{"reference": m.PatientRef}
	}
	return o
}

// fhirHow is how ExportFHIR carries a stream.
type fhirHow uint8

const (
	fhirSkip   fhirHow = iota // not exported; fhirPlan.why says why
	fhirEach                  // one Observation per sample
	fhirMinute                // one Observation per clock minute: the mean
	fhirHRV                   // session SDNN, RMSSD, pNN50 of the corrected series
)

// fhirPlan is what ExportFHIR does with one stream.
type fhirPlan struct {
	how  fhirHow
	kind obsKind // fhirEach, fhirMinute
	why  string  // fhirSkip
}

// fhirPlans covers every stream of the catalogue (a test enforces it), so
// none is dropped silently. Fast wearable streams (EDA, skin temperature:
// typically 4 Hz) become 1-minute means; RR becomes session HRV.
var fhirPlans = map[Stream]fhirPlan{
	HR:       {how: fhirEach, kind: obsHR},
	RR:       {how: fhirHRV},
	EDA:      {how: fhirMinute, kind: obsEDA},
	Resp:     {how: fhirEach, kind: obsResp},
	SpO2:     {how: fhirEach, kind: obsSpO2},
	SkinTemp: {how: fhirMinute, kind: obsSkinTemp},
	BLEHRS: {how: fhirSkip, why: "raw Heart Rate Measurement bytes are never samples: " +
		"Batch.Expand turns each payload into hr and rr samples, exported as those"},
}

// minuteMeans groups samples of one stream by clock minute, in order of
// first appearance.
type minuteMeans struct {
	vals map[int64][]float64
	keys []int64
}

func (mm *minuteMeans) add(s Sample) {
	if mm.vals == nil {
		mm.vals = map[int64][]float64{}
	}
	m := s.T / 60000 * 60000
	if _, ok := mm.vals[m]; !ok {
		mm.keys = append(mm.keys, m)
	}
	mm.vals[m] = append(mm.vals[m], s.V)
}

func (m ExportMeta) minuteObs(k obsKind, mm *minuteMeans) []fhirObs {
	out := make([]fhirObs, 0, len(mm.keys))
	for _, t := range mm.keys {
		mean, _ := meanSD(mm.vals[t])
		o := m.obs(k, strconv.FormatInt(t, 10), mean)
		o.Period = map[string]string{"start": isoMs(t), "end": isoMs(t + 60000)}
		out = append(out, o)
	}
	return out
}

// ExportFHIR returns a FHIR R4 Bundle (type collection) of Observations, per
// fhirPlans: one per hr, resp and spo2 sample, 1-minute means of EDA and
// skin temperature, and session HRV (SDNN, RMSSD, pNN50) on RR corrected by
// DefaultRule, with the rule and the share corrected in a note. ble_hrs is
// skipped (it only ever reaches storage as hr and rr samples). Artifacts and
// no-contact samples are left out of FHIR (they stay in the CSV export,
// flagged). A sample of a stream outside the catalogue is CodeUnknownStream.
func ExportFHIR(meta ExportMeta, samples []Sample) ([]byte, error) {
	var obs []fhirObs
	var rr []float64
	var rrFirst, rrLast int64
	minutes := map[Stream]*minuteMeans{}
	for i, s := range samples {
		plan, ok := fhirPlans[s.Stream]
		if !ok {
			return nil, errf(CodeUnknownStream, i, "%q has no FHIR mapping", s.Stream)
		}
		if s.Artifact() || s.Flags&FlagNoContact != 0 {
			continue
		}
		switch plan.how {
		case fhirEach:
			o := meta.obs(plan.kind, strconv.FormatInt(s.T, 10), s.V)
			o.Effective = isoMs(s.T)
			obs = append(obs, o)
		case fhirHRV:
			if len(rr) == 0 {
				rrFirst = s.T - int64(s.V)
			}
			rr, rrLast = append(rr, s.V), s.T
		case fhirMinute:
			if minutes[s.Stream] == nil {
				minutes[s.Stream] = &minuteMeans{}
			}
			minutes[s.Stream].add(s)
		}
	}
	for _, st := range Streams { // catalogue order: deterministic
		if mm := minutes[st]; mm != nil {
			obs = append(obs, meta.minuteObs(fhirPlans[st].kind, mm)...)
		}
	}
	obs = append(obs, meta.hrvObs(rr, rrFirst, rrLast)...)
	entries := make([]map[string]any, len(obs))
	for i, o := range obs {
		entries[i] = map[string]any{"fullUrl": "urn:uuid:" + o.ID, "resource": o}
	}
	bundle := map[string]any{
		"resourceType": "Bundle", "id": nameUUID(meta.SessionID, "bundle"), "type": "collection",
		"timestamp": meta.Created.UTC().Format(time.RFC3339), "entry": entries,
	}
	out, err := json.MarshalIndent(bundle, "", " ")
	if err != nil {
		return nil, fmt.Errorf("biosignal: encoding FHIR bundle: %w", err)
	}
	return out, nil
}

func (m ExportMeta) hrvObs(rr []float64, first, last int64) []fhirObs {
	c, err := Correct(rr, DefaultRule)
	if err != nil {
		return nil
	}
	h, err := TimeDomain(c.RR)
	if err != nil {
		return nil
	}
	note := []map[string]string{{"text": fmt.Sprintf("Task Force 1996 definitions over %d beats; ectopic correction: %s (%s), %.2f%% of beats corrected by linear interpolation.", h.N, c.Rule, c.Rule.Citation(), 100*c.Share)}}
	var out []fhirObs
	for _, x := range []struct {
		k obsKind
		v float64
	}{{obsSDNN, h.SDNN}, {obsRMSSD, h.RMSSD}, {obsPNN50, h.PNN50}} {
		o := m.obs(x.k, "session", x.v)
		o.Period = map[string]string{"start": isoMs(first), "end": isoMs(last)}
		o.Note = note
		out = append(out, o)
	}
	return out
}

// ExportOMH returns Open mHealth data points (a JSON array) for heart rate
// (omh:heart-rate:2.0) and RR intervals (omh:rr-interval:1.0), artifacts left out.
func ExportOMH(meta ExportMeta, samples []Sample) ([]byte, error) {
	type point struct {
		Header map[string]any `json:"header"`
		Body   map[string]any `json:"body"`
	}
	var pts []point
	for _, s := range samples {
		if s.Artifact() || s.Flags&FlagNoContact != 0 || (s.Stream != HR && s.Stream != RR) {
			continue
		}
		name, version, field, unit := "heart-rate", "2.0", "heart_rate", "beats/min"
		if s.Stream == RR {
			name, version, field, unit = "rr-interval", "1.0", "rr_interval", "ms"
		}
		pts = append(pts, point{
			Header: map[string]any{
				"id":                     nameUUID(meta.SessionID, name, strconv.FormatInt(s.T, 10)),
				"creation_date_time":     meta.Created.UTC().Format(time.RFC3339),
				"schema_id":              map[string]string{"namespace": "omh", "name": name, "version": version},
				"acquisition_provenance": map[string]string{"source_name": "Haven", "modality": "sensed"},
			},
			Body: map[string]any{
				field:                  map[string]any{"value": s.V, "unit": unit},
				"effective_time_frame": map[string]string{"date_time": isoMs(s.T)},
			},
		})
	}
	if pts == nil {
		pts = []point{}
	}
	out, err := json.MarshalIndent(pts, "", " ")
	if err != nil {
		return nil, fmt.Errorf("biosignal: encoding Open mHealth: %w", err)
	}
	return out, nil
}
