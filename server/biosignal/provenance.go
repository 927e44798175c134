package biosignal

import (
	"unicode"
	"unicode/utf8"
)

// Provenance kinds: what produced a batch's samples. A sample is patient data
// only when a sensor measured it; a simulator's samples look plausible and
// must never be read as the patient's body (issue: a demo heart rate shown
// unlabelled raised real alerts).
const (
	SourceSensor    = "sensor"    // a device worn by the patient (a BLE strap, a watch)
	SourceSimulator = "simulator" // generated: the headset's demo sensor, the server's simulated patient
	SourceUnknown   = "unknown"   // the sender said nothing (older clients): never called sensed
)

// Source is the provenance of a batch, kept with every stored chunk: its
// kind, and a model or product name and a device identifier when known.
type Source struct {
	Kind string `json:"kind"`
	Name string `json:"name,omitempty"`
	ID   string `json:"id,omitempty"`
}

// Simulated reports whether the samples were generated, not measured.
func (s Source) Simulated() bool { return s.Kind == SourceSimulator }

// Sensed reports whether a sensor measured the samples.
func (s Source) Sensed() bool { return s.Kind == SourceSensor }

// Normal returns s with an empty kind read as SourceUnknown.
func (s Source) Normal() Source {
	if s.Kind == "" {
		s.Kind = SourceUnknown
	}
	return s
}

// sourceTextMax bounds a source's name and id (the store keeps 64 bytes).
const sourceTextMax = 64

// Validate checks a source a peer sent: a known kind (or none), and a name
// and id of at most 64 bytes of printable UTF-8 on one line.
func (s Source) Validate() error {
	switch s.Kind {
	case "", SourceSensor, SourceSimulator, SourceUnknown:
	default:
		return errf(CodeMalformed, -1, "source.kind %q: want sensor or simulator", s.Kind)
	}
	for field, v := range map[string]string{"source.name": s.Name, "source.id": s.ID} {
		if len(v) > sourceTextMax || !utf8.ValidString(v) {
			return errf(CodeMalformed, -1, "%s: at most %d bytes of UTF-8", field, sourceTextMax)
		}
		for _, r := range v {
			if !unicode.IsPrint(r) {
				return errf(CodeMalformed, -1, "%s: control or invisible character %U", field, r)
			}
		}
	}
	return nil
}
