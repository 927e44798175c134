package compose_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"testing"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/store"
)

type assignment struct {
	ProtocolID string `json:"protocol_id"`
	Source     string `json:"source"`
	Revision   int    `json:"revision"`
	Hash       string `json:"hash"`
}

func TestLadderAssignment(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var none struct{ Assignment *assignment }
	if st := e.a.Do(http.MethodGet, "/api/patients/"+e.patA+"/ladder", nil, &none); st != http.StatusOK || none.Assignment != nil {
		t.Fatalf("before assignment: %d %+v", st, none.Assignment)
	}
	doc := library(t, e.a, "spiders_ladder")
	var r1, r2 protocolRev
	if st := e.a.Do(http.MethodPost, "/api/protocols", doc, &r1); st != http.StatusCreated {
		t.Fatalf("create: %d", st)
	}
	doc["mode"] = "inhibitory"
	if st := e.a.Do(http.MethodPut, "/api/protocols/"+r1.ID, doc, &r2); st != http.StatusOK || r2.Revision != 2 {
		t.Fatalf("update: %d", st)
	}
	path := "/api/patients/" + e.patA + "/ladder"
	var got assignment
	if st := e.a.Do(http.MethodPost, path, map[string]any{"protocol_id": r1.ID, "revision": 1}, &got); st != http.StatusCreated {
		t.Fatalf("assign rev 1: %d", st)
	}
	if got.Revision != 1 || got.Hash != r1.Hash || got.Source != "clinic" {
		t.Fatalf("assigned %+v, want rev 1 hash %s", got, r1.Hash)
	}
	var cur struct{ Assignment assignment }
	if st := e.a.Do(http.MethodGet, path, nil, &cur); st != http.StatusOK || cur.Assignment.Hash != r1.Hash {
		t.Fatalf("current: %d %+v", st, cur.Assignment)
	}
	// Revision 0 pins whatever is latest now, recorded as its number.
	if st := e.a.Do(http.MethodPost, path, map[string]any{"protocol_id": r1.ID}, &got); st != http.StatusCreated || got.Revision != 2 {
		t.Fatalf("assign latest: %d %+v", st, got)
	}
	if st := e.a.Do(http.MethodPost, path, map[string]any{"protocol_id": "heights_ladder", "revision": 1}, &got); st != http.StatusCreated || got.Source != "library" {
		t.Fatalf("assign library ladder: %d %+v", st, got)
	}
	var calm protocolRev
	if st := e.a.Do(http.MethodPost, "/api/protocols", library(t, e.a, "box_breathing"), &calm); st != http.StatusCreated {
		t.Fatalf("create calming: %d", st)
	}
	before := e.counts(t)
	for _, c := range []struct {
		name        string
		body        any
		status      int
		code, field string
	}{
		{"calming protocol", map[string]any{"protocol_id": calm.ID, "revision": 1}, 422, "validation", "protocol_id"},
		{"library calming protocol", map[string]any{"protocol_id": "box_breathing"}, 422, "validation", "protocol_id"},
		{"missing protocol id", map[string]any{"revision": 1}, 422, "validation", "protocol_id"},
		{"unknown protocol", map[string]any{"protocol_id": "nope"}, 404, "not_found", "protocol_id"},
		{"unknown revision", map[string]any{"protocol_id": r1.ID, "revision": 9}, 404, "not_found", "revision"},
		{"negative revision", map[string]any{"protocol_id": r1.ID, "revision": -1}, 422, "validation", "revision"},
		{"library revision 2", map[string]any{"protocol_id": "heights_ladder", "revision": 2}, 404, "not_found", "revision"},
	} {
		t.Run(c.name, func(t *testing.T) {
			expectError(t, e.a, http.MethodPost, path, c.body, c.status, c.code, c.field)
		})
	}
	sameCounts(t, before, e.counts(t))
}

func TestQuestionnaires(t *testing.T) {
	t.Parallel()
	e := setup(t)
	path := "/api/patients/" + e.patA + "/questionnaires"
	ones := make([]int, 16)
	for i := range ones {
		ones[i] = 1
	}
	var ssq struct {
		Score float64
		SSQ   struct{ Nausea, Oculomotor, Disorientation, Total float64 }
	}
	if st := e.a.Do(http.MethodPost, path, map[string]any{"kind": "ssq", "when": "pre", "items": ones}, &ssq); st != http.StatusCreated {
		t.Fatalf("ssq: %d", st)
	}
	// Every symptom at 1: raw N = O = D = 7 (Kennedy et al. 1993 weights).
	want := []float64{7 * 9.54, 7 * 7.58, 7 * 13.92, 21 * 3.74}
	for i, got := range []float64{ssq.SSQ.Nausea, ssq.SSQ.Oculomotor, ssq.SSQ.Disorientation, ssq.Score} {
		if math.Abs(got-want[i]) > 0.005 {
			t.Errorf("SSQ score %d: %v, want %v", i, got, want[i])
		}
	}
	pcl := make([]int, 20)
	pcl[0], pcl[19] = 4, 3
	var pclOut struct{ Score float64 }
	if st := e.a.Do(http.MethodPost, path, map[string]any{"kind": "pcl5", "when": "post", "items": pcl}, &pclOut); st != http.StatusCreated || pclOut.Score != 7 {
		t.Fatalf("pcl5: %d %v", st, pclOut.Score)
	}
	if st := e.a.Do(http.MethodPost, path, map[string]any{"kind": "gad7", "when": "pre", "score": 12}, nil); st != http.StatusCreated {
		t.Fatalf("gad7: %d", st)
	}
	var list struct{ Questionnaires []struct{ Kind string } }
	if st := e.a.Do(http.MethodGet, path, nil, &list); st != http.StatusOK || len(list.Questionnaires) != 3 {
		t.Fatalf("list: %d %+v", st, list)
	}
	before := e.counts(t)
	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"ssq with 15 items", map[string]any{"kind": "ssq", "when": "pre", "items": ones[:15]}, "items"},
		{"ssq item above 3", map[string]any{"kind": "ssq", "when": "pre", "items": append(append([]int{}, ones[:15]...), 4)}, "items[15]"},
		{"unknown moment", map[string]any{"kind": "ssq", "when": "during", "items": ones}, "when"},
		{"items and score", map[string]any{"kind": "ssq", "when": "pre", "items": ones, "score": 3}, "score"},
		{"gad7 above 21", map[string]any{"kind": "gad7", "when": "pre", "score": 30}, "score"},
		{"items for a score-only kind", map[string]any{"kind": "gad7", "when": "pre", "items": []int{1, 2}}, "items"},
		{"no score", map[string]any{"kind": "phq9", "when": "post"}, "score"},
		{"bad kind", map[string]any{"kind": "GAD 7!", "when": "post", "score": 1}, "kind"},
		{"fractional item", map[string]any{"kind": "pcl5", "when": "post", "items": []float64{1.5}}, "items"},
	} {
		t.Run(c.name, func(t *testing.T) {
			expectError(t, e.a, http.MethodPost, path, c.body, http.StatusUnprocessableEntity, "validation", c.field)
		})
	}
	sameCounts(t, before, e.counts(t))
}

// TestCrossTenantIsNotFound checks every id route: clinic A asking for
// clinic B's compositions, protocols and patients gets 404 and changes nothing.
func TestCrossTenantIsNotFound(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var comp compositionRev
	if st := e.b.Do(http.MethodPost, "/api/compositions", map[string]any{"template": "forest"}, &comp); st != http.StatusCreated {
		t.Fatalf("B composition: %d", st)
	}
	ladder := library(t, e.b, "flying_ladder")
	var proto protocolRev
	if st := e.b.Do(http.MethodPost, "/api/protocols", ladder, &proto); st != http.StatusCreated {
		t.Fatalf("B protocol: %d", st)
	}
	if st := e.b.Do(http.MethodPost, "/api/patients/"+e.patB+"/ladder", map[string]any{"protocol_id": proto.ID, "revision": 1}, nil); st != http.StatusCreated {
		t.Fatalf("B assignment: %d", st)
	}
	before := e.counts(t)
	q := map[string]any{"kind": "gad7", "when": "pre", "score": 3}
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/api/compositions/" + comp.ID, nil},
		{http.MethodPut, "/api/compositions/" + comp.ID, map[string]any{"template": "forest"}},
		{http.MethodGet, "/api/compositions/" + comp.ID + "/revisions", nil},
		{http.MethodGet, "/api/compositions/" + comp.ID + "/revisions/1", nil},
		{http.MethodGet, "/api/protocols/" + proto.ID, nil},
		{http.MethodPut, "/api/protocols/" + proto.ID, ladder},
		{http.MethodGet, "/api/protocols/" + proto.ID + "/revisions", nil},
		{http.MethodGet, "/api/protocols/" + proto.ID + "/revisions/1", nil},
		{http.MethodGet, "/api/patients/" + e.patB + "/ladder", nil},
		{http.MethodPost, "/api/patients/" + e.patB + "/ladder", map[string]any{"protocol_id": "heights_ladder"}},
		{http.MethodGet, "/api/patients/" + e.patB + "/questionnaires", nil},
		{http.MethodPost, "/api/patients/" + e.patB + "/questionnaires", q},
	} {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			expectError(t, e.a, r.method, r.path, r.body, http.StatusNotFound, "not_found", "")
		})
	}
	// A's own patient cannot be pinned to B's protocol either.
	expectError(t, e.a, http.MethodPost, "/api/patients/"+e.patA+"/ladder", map[string]any{"protocol_id": proto.ID}, http.StatusNotFound, "not_found", "protocol_id")
	sameCounts(t, before, e.counts(t))
	var list struct{ Compositions []compositionRev }
	if st := e.a.Do(http.MethodGet, "/api/compositions", nil, &list); st != http.StatusOK || len(list.Compositions) != 0 {
		t.Fatalf("A sees %d of B's compositions", len(list.Compositions))
	}
}

func TestResolveForSessions(t *testing.T) {
	t.Parallel()
	e := setup(t)
	svc := e.s.App.Compose
	ctx := context.Background()
	doc := library(t, e.a, "crowds_ladder")
	var r1, r2 protocolRev
	e.a.Do(http.MethodPost, "/api/protocols", doc, &r1)
	doc["mode"] = "inhibitory"
	e.a.Do(http.MethodPut, "/api/protocols/"+r1.ID, doc, &r2)
	if r1.Revision != 1 || r2.Revision != 2 {
		t.Fatalf("setup revisions %d, %d", r1.Revision, r2.Revision)
	}
	for _, c := range []struct {
		name     string
		rev      int
		wantRev  int
		wantHash string
		wantMode string
	}{
		{"exact old revision", 1, 1, r1.Hash, "habituation"},
		{"latest", 0, 2, r2.Hash, "inhibitory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := svc.ResolveProtocol(ctx, e.clinicA, r1.ID, c.rev)
			if err != nil || got.Revision != c.wantRev || got.Hash != c.wantHash || got.Protocol.Mode != c.wantMode || got.Protocol.Hash() != c.wantHash {
				t.Fatalf("resolve rev %d: %+v %v", c.rev, got, err)
			}
		})
	}
	lib, err := svc.ResolveProtocol(ctx, e.clinicA, "box_breathing", 0)
	if err != nil || lib.Source != "library" || lib.Revision != 1 || lib.Protocol.Kind != "calming" {
		t.Fatalf("library: %+v %v", lib, err)
	}
	lib.Protocol.Script = nil // a private copy: the library itself must not change
	if again, _ := svc.ResolveProtocol(ctx, e.clinicA, "box_breathing", 0); len(again.Protocol.Script) == 0 {
		t.Fatal("mutating a resolved library protocol changed the library")
	}
	var comp compositionRev
	e.a.Do(http.MethodPost, "/api/compositions", map[string]any{"template": "heights", "params": map[string]any{"floor": 7}}, &comp)
	rc, err := svc.ResolveComposition(ctx, e.clinicA, comp.ID, 1)
	if err != nil || rc.Hash != comp.Hash || rc.Composition.Params["floor"] != 7 {
		t.Fatalf("composition: %+v %v", rc, err)
	}
	for name, err := range map[string]error{
		"protocol of another clinic":    second(svc.ResolveProtocol(ctx, e.clinicB, r1.ID, 1)),
		"composition of another clinic": second(svc.ResolveComposition(ctx, e.clinicB, comp.ID, 1)),
		"missing revision":              second(svc.ResolveProtocol(ctx, e.clinicA, r1.ID, 3)),
	} {
		var ae *apierr.Error
		if !errors.As(err, &ae) || ae.Code != apierr.NotFound {
			t.Errorf("%s: %v, want not_found", name, err)
		}
	}
	if st := e.a.Do(http.MethodPost, "/api/patients/"+e.patA+"/ladder", map[string]any{"protocol_id": r1.ID, "revision": 1}, nil); st != http.StatusCreated {
		t.Fatalf("assign: %d", st)
	}
	res, a, ok, err := svc.PatientLadder(ctx, e.clinicA, e.patA)
	if err != nil || !ok || res.Revision != 1 || res.Hash != r1.Hash || a.PatientID != e.patA {
		t.Fatalf("patient ladder: %+v %v %v", res, ok, err)
	}
	if _, _, _, err := svc.PatientLadder(ctx, e.clinicB, e.patA); apierr.From(err).Code != apierr.NotFound {
		t.Fatalf("patient ladder across clinics: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

// TestModeratorsAreForbidden: clinical content is for therapists and admins.
func TestModeratorsAreForbidden(t *testing.T) {
	t.Parallel()
	e := setup(t)
	mod := e.s.SignIn(t, e.clinicA, store.RoleModerator)
	admin := e.s.SignIn(t, e.clinicA, store.RoleAdmin)
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/api/templates"},
		{http.MethodGet, "/api/protocols/library"},
		{http.MethodGet, "/api/compositions"},
		{http.MethodGet, "/api/patients/" + e.patA + "/questionnaires"},
	} {
		expectError(t, mod, r.method, r.path, nil, http.StatusForbidden, "forbidden", "")
		if st := admin.Do(r.method, r.path, nil, nil); st != http.StatusOK {
			t.Errorf("admin %s %s: %d", r.method, r.path, st)
		}
	}
	expectError(t, mod, http.MethodPost, "/api/compositions", map[string]any{"template": "beach"}, http.StatusForbidden, "forbidden", "")
}
