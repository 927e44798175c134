package biosignal

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// ProvenanceCodeSystem is Haven's own FHIR code system for what produced a
// sample (Device.type): sensor, simulator, unknown. Documented in
// docs/biosignals.md.
const ProvenanceCodeSystem = "https://havenvr.org/fhir/CodeSystem/provenance"

// testDataTag marks generated (simulated) resources: v3 ActReason HTEST
// "test health data", the code FHIR's security-label guidance gives for
// data that is not about a real patient (http://hl7.org/fhir/R4/security-labels.html,
// value set http://terminology.hl7.org/CodeSystem/v3-ActReason).
var testDataTag = fhirCoding{"http://terminology.hl7.org/CodeSystem/v3-ActReason", "HTEST", "test health data"}

// pseudonymTag marks the Patient as pseudonymized: v3 ObservationValue
// PSEUDED (http://terminology.hl7.org/CodeSystem/v3-ObservationValue).
var pseudonymTag = fhirCoding{"http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "PSEUDED", "pseudonymized"}

// ExportPatient is the pseudonymous patient an export is about: the record's
// id and the clinic's code for it, nothing that names a person.
type ExportPatient struct {
	ID   string
	Code string
}

// ExportEncounter is the therapy session as a FHIR Encounter. Status is a
// FHIR R4 encounter-status code (planned, in-progress, finished,
// cancelled); zero times are left out.
type ExportEncounter struct {
	ID     string
	Status string
	Start  time.Time
	End    time.Time
}

// RatingKind names a patient rating carried into exports.
type RatingKind string

// Ratings the patient gives in a session (CLINICAL.md §8).
const (
	RatingSUDS       RatingKind = "suds"       // Subjective Units of Distress, 0–100
	RatingExpectancy RatingKind = "expectancy" // likelihood of the feared outcome, 0–100 %
)

// SelfReported is Rating.Src for a rating the patient gave (no device).
const SelfReported = -1

// Rating is one patient rating: T unix ms, V its value; Phase is before or
// after for expectancy. Src indexes ExportMeta.Sources when a generator gave
// it (a simulated patient), else SelfReported.
type Rating struct {
	Kind  RatingKind
	T     int64
	V     float64
	Phase string
	Src   int
}

// ratingObs are the FHIR codes of ratings. Neither SUDS nor the expectancy
// rating of inhibitory-learning exposure has a LOINC term, so both are local
// codes of LocalCodeSystem, category survey; units are UCUM ("{score}" is an
// annotation, a dimensionless count).
var ratingObs = map[RatingKind]obsKind{
	RatingSUDS:       {fhirCoding{LocalCodeSystem, "suds", "Subjective Units of Distress (0-100)"}, "{score}", "survey"},
	RatingExpectancy: {fhirCoding{LocalCodeSystem, "expectancy", "Expected likelihood of the feared outcome"}, "%", "survey"},
}

// source returns the source a sample index names (unknown when none).
func (m ExportMeta) source(i int) Source {
	if i >= 0 && i < len(m.Sources) {
		return m.Sources[i].Normal()
	}
	return Source{Kind: SourceUnknown}
}

// sourceLabel is a source in one line for CSV and Open mHealth.
func sourceLabel(s Source) string {
	switch {
	case s.Simulated() && s.Name != "":
		return "simulated: " + s.Name
	case s.Simulated():
		return "simulated"
	case s.Name != "":
		return s.Name
	}
	return s.Kind
}

// deviceID is the FHIR id of source i's Device.
func (m ExportMeta) deviceID(i int) string {
	s := m.source(i)
	return nameUUID(m.SessionID, "device", s.Kind, s.Name, s.ID)
}

// device is source i as a FHIR R4 Device: its kind in Device.type
// (ProvenanceCodeSystem), its name in deviceName, its identifier; a
// simulator is also tagged HTEST so no system files it as patient data.
func (m ExportMeta) device(i int) map[string]any {
	s := m.source(i)
	display := map[string]string{SourceSensor: "Sensor worn by the patient", SourceUnknown: "Unknown source (not recorded)",
		SourceSimulator: "Simulated sensor: generated samples, not a measurement of the patient"}[s.Kind]
	d := map[string]any{
		"resourceType": "Device", "id": m.deviceID(i),
		"type": map[string]any{"coding": []fhirCoding{{ProvenanceCodeSystem, s.Kind, display}}, "text": display},
	}
	if s.Name != "" {
		d["deviceName"] = []map[string]string{{"name": s.Name, "type": "user-friendly-name"}}
	}
	if s.ID != "" {
		d["identifier"] = []map[string]string{{"value": s.ID}}
	}
	if s.Simulated() {
		d["meta"] = map[string]any{"tag": []fhirCoding{testDataTag}}
	}
	return d
}

func (m ExportMeta) patientResource() map[string]any {
	p := map[string]any{"resourceType": "Patient", "id": nameUUID("patient", m.Patient.ID),
		"meta": map[string]any{"security": []fhirCoding{pseudonymTag}}}
	if m.Patient.Code != "" {
		p["identifier"] = []map[string]string{{"system": "https://havenvr.org/fhir/NamingSystem/patient-code", "value": m.Patient.Code}}
	}
	return p
}

// encounterResource is the session: class AMB (ambulatory, v3 ActCode) as
// FHIR R4 requires a class (Encounter.class 1..1) and a therapy session in a
// clinic or at home with a therapist online is not an inpatient stay.
func (m ExportMeta) encounterResource() map[string]any {
	e := map[string]any{"resourceType": "Encounter", "id": nameUUID("encounter", m.Encounter.ID), "status": m.Encounter.Status,
		"class": fhirCoding{"http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory"},
		"type":  []map[string]string{{"text": "Virtual reality exposure therapy session"}}}
	if m.Patient != nil {
		e["subject"] = map[string]string{"reference": "urn:uuid:" + nameUUID("patient", m.Patient.ID)}
	}
	period := map[string]string{}
	if !m.Encounter.Start.IsZero() {
		period["start"] = m.Encounter.Start.UTC().Format(time.RFC3339)
	}
	if !m.Encounter.End.IsZero() {
		period["end"] = m.Encounter.End.UTC().Format(time.RFC3339)
	}
	if len(period) > 0 {
		e["period"] = period
	}
	return e
}

// ratingObservations are the session's ratings as Observations.
func (m ExportMeta) ratingObservations() []fhirObs {
	out := make([]fhirObs, 0, len(m.Ratings))
	for _, r := range m.Ratings {
		k := ratingObs[r.Kind]
		o := m.obs(k, r.Src, string(r.Kind)+"/"+r.Phase+"/"+strconv.FormatInt(r.T, 10), r.V)
		o.Effective = isoMs(r.T)
		if r.Phase != "" {
			o.Note = []map[string]string{{"text": "Rated " + r.Phase + " the trial."}}
		}
		if r.Src == SelfReported && m.Patient != nil {
			o.Performer = []map[string]string{{"reference": "urn:uuid:" + nameUUID("patient", m.Patient.ID)}}
		}
		out = append(out, o)
	}
	return out
}

// sourceColumns are a CSV row's source_kind and source_name: own (the
// patient's own rating, the headset's own pose) for SelfReported, else the
// generator's kind and name.
func (m ExportMeta) sourceColumns(src int, own string) (kind, name string) {
	if src == SelfReported {
		return own, ""
	}
	s := m.source(src)
	return s.Kind, s.Name
}

// ExportRatingsCSV writes the session's ratings (SUDS, expectancy) as CSV,
// one per row in time order, with their provenance.
func ExportRatingsCSV(w io.Writer, meta ExportMeta) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"t_unix_ms", "time_utc", "rating", "phase", "value", "unit", "source_kind", "source_name"}); err != nil {
		return fmt.Errorf("biosignal: writing ratings CSV header: %w", err)
	}
	for _, r := range meta.Ratings {
		kind, name := meta.sourceColumns(r.Src, "self-reported")
		unit := "0-100"
		if r.Kind == RatingExpectancy {
			unit = "%"
		}
		rec := []string{strconv.FormatInt(r.T, 10), isoMs(r.T), string(r.Kind), r.Phase, strconv.FormatFloat(r.V, 'g', -1, 64), unit, kind, name}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("biosignal: writing ratings CSV row: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("biosignal: flushing ratings CSV: %w", err)
	}
	return nil
}
