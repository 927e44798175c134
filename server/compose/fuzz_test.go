package compose

import (
	"bytes"
	"math"
	"testing"

	"github.com/havenvr/haven/environments"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/web"
)

// FuzzQuestionnaire feeds request bodies through the decoder and scorer: no
// panic, every refusal is a coded error naming a field, and every accepted
// total lies inside its instrument's range.
func FuzzQuestionnaire(f *testing.F) {
	f.Add([]byte(`{"kind":"ssq","when":"pre","items":[0,1,2,3,0,1,2,3,0,1,2,3,0,1,2,3]}`))
	f.Add([]byte(`{"kind":"pcl5","when":"post","items":[4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4]}`))
	f.Add([]byte(`{"kind":"gad7","when":"pre","score":21}`))
	f.Add([]byte(`{"kind":"ssq","when":"pre","score":1e308}`))
	f.Add([]byte(`{"kind":"x","when":"post","score":-0.0}`))
	f.Add([]byte(`{"kind":"ssq","when":"pre","items":[-1]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var in questionnaireInput
		if err := web.DecodeJSON(bytes.NewReader(data), &in); err != nil {
			return
		}
		total, ssq, err := score(in)
		if err != nil {
			if e := apierr.From(err); e.Code != apierr.Validation || e.Field == "" {
				t.Fatalf("refusal %v is not a validation error naming a field", err)
			}
			return
		}
		hi := float64(maxOtherScore)
		switch in.Kind {
		case KindSSQ:
			hi = ssqMaxTotal
		case KindPCL5:
			hi = 80
		}
		if math.IsNaN(total) || total < 0 || total > hi {
			t.Fatalf("%s total %v outside 0–%v", in.Kind, total, hi)
		}
		if ssq != nil && math.Abs(ssq.Total-total) > 1e-9 {
			t.Fatalf("SSQ total %v differs from the stored score %v", ssq.Total, total)
		}
	})
}

// FuzzCompositionRequest checks the path a composition takes through the
// API: a request that validates freezes into a revision whose stored body
// decodes (as ResolveComposition does) back to the same content hash.
func FuzzCompositionRequest(f *testing.F) {
	f.Add([]byte(`{"name":"a","template":"heights","params":{"floor":12},"layers":{"comfort":{"seated":true}}}`))
	f.Add([]byte(`{"template":"spiders","params":{"count":3},"layers":{"events":["spider_drops"],"time_of_day":"night"}}`))
	f.Add([]byte(`{"template":"beach","layers":{"ambient":[{"id":"surf","volume":0.5}],"narration":["env.beach.intro"]}}`))
	f.Add([]byte(`{"template":"heights","params":{"floor":1e300,"railing":"no"}}`))
	cat, err := environments.Builtin()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var in compositionInput
		if err := web.DecodeJSON(bytes.NewReader(data), &in); err != nil {
			return
		}
		rev, err := environments.NewRevision(cat, nil, environments.Composition{Template: in.Template, Params: in.Params, Layers: in.Layers})
		if err != nil {
			return
		}
		back, err := environments.DecodeComposition(rev.Body())
		if err != nil {
			t.Fatalf("stored body does not decode: %v", err)
		}
		again, err := environments.NewRevision(cat, nil, back)
		if err != nil || again.Hash != rev.Hash {
			t.Fatalf("stored body resolves to different content: %v", err)
		}
	})
}
