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
	PatientRef string // FHIR reference, e.g. "Patient/p-123" (pseudonymous); unused when Patient is set
	Created    time.Time
	// Patient and Encounter, when set, travel in the FHIR bundle as
	// resources every Observation references (subject, encounter).
	Patient   *ExportPatient
	Encounter *ExportEncounter
	// Sources is the provenance table Sample.Src indexes: each becomes a
	// FHIR Device the samples' Observations name, an Open mHealth
	// acquisition_provenance and a CSV column. Empty: every sample is of
	// unknown provenance (never exported as sensed).
	Sources []Source
	// Ratings are the session's SUDS and expectancy ratings.
	Ratings []Rating
	// Avoidance is each exposure step's avoidance measures.
	Avoidance []AvoidanceStep
}

func isoMs(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z") }

// ExportCSV writes one stream's samples as CSV with a header. Artifacts are
// kept and flagged (never dropped), so a researcher can apply their own rules.
// Each row names its provenance (source_kind: sensor, simulator or unknown;
// source_name) from sources, which Sample.Src indexes.
func ExportCSV(w io.Writer, stream Stream, samples []Sample, sources []Source) error {
	cw := csv.NewWriter(w)
	unit := specs[stream].Unit
	m := ExportMeta{Sources: sources}
	if err := cw.Write([]string{"t_unix_ms", "time_utc", "value", "unit", "out_of_range", "jump", "no_contact", "source_kind", "source_name"}); err != nil {
		return fmt.Errorf("biosignal: writing CSV header: %w", err)
	}
	b := func(f Flag, s Sample) string { return strconv.FormatBool(s.Flags&f != 0) }
	for _, s := range samples {
		if s.Stream != stream {
			continue
		}
		src := m.source(int(s.Src))
		rec := []string{strconv.FormatInt(s.T, 10), isoMs(s.T), strconv.FormatFloat(s.V, 'g', -1, 64), unit,
			b(FlagOutOfRange, s), b(FlagJump, s), b(FlagNoContact, s), src.Kind, src.Name}
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
	Meta         map[string]any      `json:"meta,omitempty"`
	Status       string              `json:"status"`
	Category     []map[string]any    `json:"category"`
	Code         map[string]any      `json:"code"`
	Subject      *map[string]string  `json:"subject,omitempty"`
	Encounter    map[string]string   `json:"encounter,omitempty"`
	Effective    string              `json:"effectiveDateTime,omitempty"`
	Period       map[string]string   `json:"effectivePeriod,omitempty"`
	Performer    []map[string]string `json:"performer,omitempty"`
	Value        fhirQuantity        `json:"valueQuantity"`
	Note         []map[string]string `json:"note,omitempty"`
	Device       map[string]string   `json:"device,omitempty"`
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

// obs is one Observation; src indexes m.Sources (SelfReported: a rating
// the patient gave, no device). Samples of a source other than the first
// get the source in their id, so two sources never share one.
func (m ExportMeta) obs(k obsKind, src int, key string, v float64) fhirObs {
	if src > 0 {
		key += "/" + m.deviceID(src)
	}
	o := fhirObs{
		ResourceType: "Observation", ID: nameUUID(m.SessionID, k.coding.Code, key), Status: "final",
		Category: []map[string]any{{"coding": []fhirCoding{{"http://terminology.hl7.org/CodeSystem/observation-category", k.category, k.category}}}},
		Code:     map[string]any{"coding": []fhirCoding{k.coding}, "text": k.coding.Display},
		Value:    fhirQuantity{Value: v, Unit: k.unit, System: "http://unitsofmeasure.org", Code: k.unit},
	}
	switch {
	case m.Patient != nil:
		o.Subject = &map[string]string{"reference": "urn:uuid:" + nameUUID("patient", m.Patient.ID)}
	case m.PatientRef != "":
		o.Subject = &map[string]string{"reference": m.PatientRef}
	}
	if m.Encounter != nil {
		o.Encounter = map[string]string{"reference": "urn:uuid:" + nameUUID("encounter", m.Encounter.ID)}
	}
	if src != SelfReported {
		o.Device = map[string]string{"reference": "urn:uuid:" + m.deviceID(src)}
		if m.source(src).Simulated() {
			o.Meta = map[string]any{"tag": []fhirCoding{testDataTag}}
		}
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

func (m ExportMeta) minuteObs(k obsKind, src int, mm *minuteMeans) []fhirObs {
	out := make([]fhirObs, 0, len(mm.keys))
	for _, t := range mm.keys {
		mean, _ := meanSD(mm.vals[t])
		o := m.obs(k, src, strconv.FormatInt(t, 10), mean)
		o.Period = map[string]string{"start": isoMs(t), "end": isoMs(t + 60000)}
		out = append(out, o)
	}
	return out
}

// ExportFHIR returns a FHIR R4 Bundle (type collection) of Observations, per
// fhirPlans: one per hr, resp and spo2 sample, 1-minute means of EDA and
// skin temperature, and session HRV (SDNN, RMSSD, pNN50) on RR corrected by
// DefaultRule, with the rule and the share corrected in a note; and one per
// rating (SUDS, expectancy). Means and HRV are computed per source: a
// simulator's samples never mix with a sensor's. ble_hrs is skipped (it
// only ever reaches storage as hr and rr samples). Artifacts and
// no-contact samples are left out of FHIR (they stay in the CSV export,
// flagged). A sample of a stream outside the catalogue is CodeUnknownStream.
//
// With meta.Patient and meta.Encounter the bundle carries a pseudonymous
// Patient and the session's Encounter, and every Observation references
// them (subject, encounter) and the Device of its source (device), all by
// their urn:uuid fullUrl (references inside a bundle resolve to entries by
// fullUrl: http://hl7.org/fhir/R4/bundle.html#references). No array is
// ever empty: a bundle with nothing in it has no "entry" (FHIR R4's JSON
// rules forbid empty arrays: http://hl7.org/fhir/R4/json.html).
func ExportFHIR(meta ExportMeta, samples []Sample) ([]byte, error) {
	var obs []fhirObs
	type rrRun struct {
		rr          []float64
		first, last int64
	}
	type key struct {
		st  Stream
		src uint8
	}
	rrs := map[uint8]*rrRun{}
	minutes := map[key]*minuteMeans{}
	used := map[int]bool{}
	for i, s := range samples {
		plan, ok := fhirPlans[s.Stream]
		if !ok {
			return nil, errf(CodeUnknownStream, i, "%q has no FHIR mapping", s.Stream)
		}
		if s.Artifact() || s.Flags&FlagNoContact != 0 || plan.how == fhirSkip {
			continue
		}
		used[int(s.Src)] = true
		switch plan.how {
		case fhirEach:
			o := meta.obs(plan.kind, int(s.Src), strconv.FormatInt(s.T, 10), s.V)
			o.Effective = isoMs(s.T)
			obs = append(obs, o)
		case fhirHRV:
			r := rrs[s.Src]
			if r == nil {
				r = &rrRun{first: s.T - int64(s.V)}
				rrs[s.Src] = r
			}
			r.rr, r.last = append(r.rr, s.V), s.T
		case fhirMinute:
			k := key{s.Stream, s.Src}
			if minutes[k] == nil {
				minutes[k] = &minuteMeans{}
			}
			minutes[k].add(s)
		}
	}
	for src := range 256 { // source order, then catalogue order: deterministic
		for _, st := range Streams {
			if mm := minutes[key{st, uint8(src)}]; mm != nil {
				obs = append(obs, meta.minuteObs(fhirPlans[st].kind, src, mm)...)
			}
		}
		if r := rrs[uint8(src)]; r != nil {
			obs = append(obs, meta.hrvObs(src, r.rr, r.first, r.last)...)
		}
	}
	for _, r := range meta.Ratings {
		if r.Src != SelfReported {
			used[r.Src] = true
		}
	}
	for _, a := range meta.Avoidance {
		if a.Src != SelfReported {
			used[a.Src] = true
		}
	}
	obs = append(obs, meta.ratingObservations()...)
	obs = append(obs, meta.avoidanceObservations()...)
	var entries []map[string]any
	add := func(id string, res any) {
		entries = append(entries, map[string]any{"fullUrl": "urn:uuid:" + id, "resource": res})
	}
	if meta.Patient != nil {
		add(nameUUID("patient", meta.Patient.ID), meta.patientResource())
	}
	if meta.Encounter != nil {
		add(nameUUID("encounter", meta.Encounter.ID), meta.encounterResource())
	}
	for i := range max(len(meta.Sources), 1) {
		if used[i] {
			add(meta.deviceID(i), meta.device(i))
		}
	}
	for _, o := range obs {
		add(o.ID, o)
	}
	bundle := map[string]any{
		"resourceType": "Bundle", "id": nameUUID(meta.SessionID, "bundle"), "type": "collection",
		"timestamp": meta.Created.UTC().Format(time.RFC3339),
	}
	if len(entries) > 0 {
		bundle["entry"] = entries
	}
	out, err := json.MarshalIndent(bundle, "", " ")
	if err != nil {
		return nil, fmt.Errorf("biosignal: encoding FHIR bundle: %w", err)
	}
	return out, nil
}

func (m ExportMeta) hrvObs(src int, rr []float64, first, last int64) []fhirObs {
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
		o := m.obs(x.k, src, "session", x.v)
		o.Period = map[string]string{"start": isoMs(first), "end": isoMs(last)}
		o.Note = note
		out = append(out, o)
	}
	return out
}

// ExportOMH returns Open mHealth data points (a JSON array) for heart rate
// (omh:heart-rate:2.0), RR intervals (omh:rr-interval:1.0) and the
// session's ratings (haven:suds:1.0, haven:expectancy:1.0; Open mHealth has
// no schema for either), artifacts left out. The header's
// acquisition_provenance (omh:header:1.1) names the source; its modality is
// "sensed" only for a sensor's samples and "self-reported" only for the
// patient's own ratings: the schema's enum has no other value, so a
// simulator's or an unknown source's points carry none, and their
// source_name says "simulated". user_id is the pseudonymous patient code.
func ExportOMH(meta ExportMeta, samples []Sample) ([]byte, error) {
	pts := []omhPoint{} // an empty session is [], the one array the format needs
	for _, s := range samples {
		if s.Artifact() || s.Flags&FlagNoContact != 0 || (s.Stream != HR && s.Stream != RR) {
			continue
		}
		name, version, field, unit := "heart-rate", "2.0", "heart_rate", "beats/min"
		if s.Stream == RR {
			name, version, field, unit = "rr-interval", "1.0", "rr_interval", "ms"
		}
		src := meta.source(int(s.Src))
		modality := ""
		if src.Sensed() {
			modality = "sensed"
		}
		key := strconv.FormatInt(s.T, 10)
		if s.Src > 0 {
			key += "/" + meta.deviceID(int(s.Src))
		}
		pts = append(pts, omhPoint{
			Header: meta.omhHeader("omh", name, version, nameUUID(meta.SessionID, name, key), modality, sourceLabel(src)),
			Body: map[string]any{
				field:                  map[string]any{"value": s.V, "unit": unit},
				"effective_time_frame": map[string]string{"date_time": isoMs(s.T)},
			},
		})
	}
	for _, r := range meta.Ratings {
		modality, label := "self-reported", "patient rating"
		if r.Src != SelfReported {
			modality, label = "", sourceLabel(meta.source(r.Src))
		}
		unit := "0-100"
		if r.Kind == RatingExpectancy {
			unit = "%"
		}
		body := map[string]any{string(r.Kind): map[string]any{"value": r.V, "unit": unit},
			"effective_time_frame": map[string]string{"date_time": isoMs(r.T)}}
		if r.Phase != "" {
			body["phase"] = r.Phase
		}
		id := nameUUID(meta.SessionID, string(r.Kind), r.Phase, strconv.FormatInt(r.T, 10))
		pts = append(pts, omhPoint{Header: meta.omhHeader("haven", string(r.Kind), "1.0", id, modality, label), Body: body})
	}
	for _, a := range meta.Avoidance {
		modality, label := "sensed", "headset head pose"
		if a.Src != SelfReported {
			modality, label = "", sourceLabel(meta.source(a.Src))
		}
		id := nameUUID(meta.SessionID, "avoidance", a.StepID, strconv.FormatInt(a.T, 10))
		pts = append(pts, omhPoint{Header: meta.omhHeader("haven", "avoidance", "1.0", id, modality, label), Body: a.omhBody()})
	}
	out, err := json.MarshalIndent(pts, "", " ")
	if err != nil {
		return nil, fmt.Errorf("biosignal: encoding Open mHealth: %w", err)
	}
	return out, nil
}

type omhPoint struct {
	Header map[string]any `json:"header"`
	Body   map[string]any `json:"body"`
}

// omhHeader is an omh:header:1.1 (id, creation_date_time, schema_id
// required; acquisition_provenance.source_name required, modality one of
// sensed and self-reported when given).
func (m ExportMeta) omhHeader(ns, name, version, id, modality, source string) map[string]any {
	prov := map[string]string{"source_name": "Haven: " + source}
	if modality != "" {
		prov["modality"] = modality
	}
	h := map[string]any{
		"id":                     id,
		"creation_date_time":     m.Created.UTC().Format(time.RFC3339),
		"schema_id":              map[string]string{"namespace": ns, "name": name, "version": version},
		"acquisition_provenance": prov,
	}
	if m.Patient != nil && m.Patient.Code != "" {
		h["user_id"] = m.Patient.Code
	}
	return h
}
