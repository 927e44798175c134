package biosignal

import "math"

// Stream names a biosignal stream (DESIGN.md §4).
type Stream string

// The stream catalogue.
const (
	HR       Stream = "hr"        // heart rate, bpm
	RR       Stream = "rr"        // RR (beat-to-beat) interval, ms
	EDA      Stream = "eda"       // electrodermal activity, µS
	Resp     Stream = "resp"      // respiration rate, breaths/min
	SpO2     Stream = "spo2"      // oxygen saturation, %
	SkinTemp Stream = "skin_temp" // skin temperature, °C
	BLEHRS   Stream = "ble_hrs"   // raw Heart Rate Measurement bytes (0x2A37)
)

// Spec describes a stream: canonical unit (UCUM-style), accepted unit
// spellings, the physiological range and the largest plausible change between
// consecutive samples less than JumpWindowMs apart.
type Spec struct {
	Unit    string
	Aliases []string
	Min     float64
	Max     float64
	MaxJump float64
}

// JumpWindowMs: a jump check only applies to samples this close in time;
// after a gap any level is plausible.
const JumpWindowMs = 5000

// specs: ranges follow the issue (RR 300–2000 ms as in Kubios/Task Force
// preprocessing, HR 25–250 bpm, EDA 0–100 µS); jumps are engineering defaults:
// HR changes of >30 bpm between 1 Hz samples and RR changes of >1200 ms are
// implausible; ectopic beats below that are handled by HRV correction.
var specs = map[Stream]Spec{
	HR:       {Unit: "/min", Aliases: []string{"bpm", "beats/min"}, Min: 25, Max: 250, MaxJump: 30},
	RR:       {Unit: "ms", Min: 300, Max: 2000, MaxJump: 1200},
	EDA:      {Unit: "uS", Aliases: []string{"µS", "μS"}, Min: 0, Max: 100, MaxJump: 5},
	Resp:     {Unit: "/min", Aliases: []string{"breaths/min", "brpm"}, Min: 3, Max: 60, MaxJump: 20},
	SpO2:     {Unit: "%", Min: 70, Max: 100, MaxJump: 8},
	SkinTemp: {Unit: "Cel", Aliases: []string{"°C", "C"}, Min: 20, Max: 42, MaxJump: 2},
	BLEHRS:   {Unit: "raw"},
}

// Streams lists every stream in catalogue order.
var Streams = []Stream{HR, RR, EDA, Resp, SpO2, SkinTemp, BLEHRS}

// SpecOf returns the stream's spec and whether the stream is known.
func SpecOf(s Stream) (Spec, bool) { sp, ok := specs[s]; return sp, ok }

// unitOK reports whether u is the stream's unit or an accepted alias.
func (sp Spec) unitOK(u string) bool {
	if u == sp.Unit {
		return true
	}
	for _, a := range sp.Aliases {
		if u == a {
			return true
		}
	}
	return false
}

// Flag marks a sample's quality. Flagged samples are kept and counted.
type Flag uint8

// Sample flags.
const (
	FlagOutOfRange Flag = 1 << iota // outside the stream's physiological range
	FlagJump                        // implausible change from the previous sample
	FlagNoContact                   // BLE strap reported no skin contact
)

// Sample is one decoded value. T is unix milliseconds (for RR: the end of the
// interval, i.e. the beat).
type Sample struct {
	Stream Stream  `json:"stream"`
	T      int64   `json:"t"`
	V      float64 `json:"v"`
	Flags  Flag    `json:"flags,omitempty"`
	// Src indexes the source table of the read that returned the sample
	// (ingest.ReadSessionSources); 0 where a caller keeps no sources.
	Src uint8 `json:"-"`
}

// Artifact reports whether the sample is flagged as unusable for metrics.
func (s Sample) Artifact() bool { return s.Flags&(FlagOutOfRange|FlagJump) != 0 }

// FlagArtifacts flags out-of-range values and implausible jumps in samples of
// one stream (in time order). prev is the previous in-range sample of the
// same stream (nil if none) so checks continue across batches. It returns the count flagged.
func FlagArtifacts(samples []Sample, prev *Sample) int {
	n := 0
	last := prev
	for i := range samples {
		s := &samples[i]
		sp := specs[s.Stream]
		if s.V < sp.Min || s.V > sp.Max || math.IsNaN(s.V) {
			s.Flags |= FlagOutOfRange
		} else if last != nil && s.T-last.T <= JumpWindowMs &&
			math.Abs(s.V-last.V) > sp.MaxJump {
			s.Flags |= FlagJump
		}
		if s.Artifact() {
			n++
		}
		// Compare with the previous in-range sample even if it jumped, so a
		// genuine level shift is flagged once, not forever.
		if s.Flags&FlagOutOfRange == 0 {
			last = s
		}
	}
	return n
}
