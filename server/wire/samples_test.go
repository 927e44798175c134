package wire

import (
	"testing"

	"github.com/havenvr/haven/server/apierr"
)

// TestSignalsBatchRefusesNullSamples: a NaN serialised by a browser arrives
// as null and must refuse the batch with a code, never become a 0 sample.
func TestSignalsBatchRefusesNullSamples(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		values string
		want   []float64
		code   apierr.Code
	}{
		{"numbers", `[2.1,2.15,2.2]`, []float64{2.1, 2.15, 2.2}, ""},
		{"no values", `null`, nil, ""},
		{"null sample", `[2.1,null,2.2]`, nil, apierr.InvalidJSON},
		{"only null", `[null]`, nil, apierr.InvalidJSON},
		{"string sample", `[2.1,"NaN"]`, nil, apierr.InvalidJSON},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := `{"v":1,"type":"signals.batch","seq":1,"t":1,"body":{"stream":"eda","unit":"uS","rate_hz":4,"t0":1,"values":` + tc.values + `}}`
			m, err := Decode([]byte(msg), Signals, FromPatient)
			if tc.code != "" {
				if apierr.From(err).Code != tc.code {
					t.Fatalf("error %v, want code %s", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			got := m.Body.(*SignalsBatch).Values
			if len(got) != len(tc.want) {
				t.Fatalf("values %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("values %v, want %v", got, tc.want)
				}
			}
		})
	}
}
