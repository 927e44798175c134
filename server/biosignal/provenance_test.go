package biosignal

import (
	"strings"
	"testing"
)

func TestSourceValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		src  Source
		ok   bool
	}{
		{"none (older clients)", Source{}, true},
		{"sensor", Source{Kind: SourceSensor, Name: "Polar H10", ID: "A1:B2"}, true},
		{"simulator", Source{Kind: SourceSimulator, Name: "Haven headset demo sensor"}, true},
		{"unknown kind", Source{Kind: "robot"}, false},
		{"name too long", Source{Kind: SourceSensor, Name: strings.Repeat("x", 65)}, false},
		{"newline in name", Source{Kind: SourceSensor, Name: "a\nb"}, false},
		{"bidi override in id", Source{Kind: SourceSensor, ID: "a\u202eb"}, false},
		{"invalid UTF-8", Source{Kind: SourceSensor, Name: "\xff"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.src.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate(%+v) = %v, want ok=%v", tc.src, err, tc.ok)
			}
		})
	}
	if (Source{}).Normal().Kind != SourceUnknown || (Source{}).Normal().Sensed() {
		t.Error("a batch without a source must read as unknown, never sensed")
	}
}
