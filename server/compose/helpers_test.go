package compose_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/store"
)

// env is a running server with two clinics, a therapist and a patient in each.
type env struct {
	s          *apptest.Server
	a, b       *apptest.Client
	patA, patB string
	clinicA    string
	clinicB    string
}

func setup(t *testing.T) *env {
	t.Helper()
	s := apptest.Start(t, nil)
	ca, cb := s.NewClinic(t, "A"), s.NewClinic(t, "B")
	e := &env{s: s, a: s.SignIn(t, ca.ID, store.RoleTherapist), b: s.SignIn(t, cb.ID, store.RoleTherapist), clinicA: ca.ID, clinicB: cb.ID}
	e.patA = e.patient(t, e.a, "A-1")
	e.patB = e.patient(t, e.b, "B-1")
	return e
}

func (e *env) patient(t *testing.T, c *apptest.Client, code string) string {
	t.Helper()
	var p struct{ ID string }
	if st := c.Do(http.MethodPost, "/api/patients", map[string]any{"code": code, "birth_year": 1985, "screening": map[string]bool{}}, &p); st != http.StatusCreated {
		t.Fatalf("creating patient: status %d", st)
	}
	return p.ID
}

// counts returns the row count of every table this package writes.
func (e *env) counts(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for name, model := range map[string]any{
		"compositions": &store.Composition{}, "composition_revisions": &store.CompositionRevision{},
		"protocols": &store.ClinicProtocol{}, "protocol_revisions": &store.ProtocolRevision{},
		"assignments": &store.LadderAssignment{}, "questionnaires": &store.QuestionnaireScore{},
		"audit": &store.AuditEvent{},
	} {
		var n int64
		if err := e.s.App.Store.DB.Model(model).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		out[name] = n
	}
	return out
}

func sameCounts(t *testing.T, before, after map[string]int64) {
	t.Helper()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %d rows before, %d after: something was stored", k, v, after[k])
		}
	}
}

// apiError is the coded error body every failure carries.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

// expectError sends a request and checks status, code and named field.
func expectError(t *testing.T, c *apptest.Client, method, path string, body any, status int, code, field string) {
	t.Helper()
	st, raw := c.Raw(method, path, body)
	var e apiError
	_ = json.Unmarshal(raw, &e)
	if st != status || e.Error.Code != code || e.Error.Field != field || e.Error.Message == "" {
		t.Errorf("%s %s: got %d %s field %q (%s); want %d %s field %q", method, path, st, e.Error.Code, e.Error.Field,
			e.Error.Message, status, code, field)
	}
}

// library fetches a built-in protocol document as a generic map to edit.
func library(t *testing.T, c *apptest.Client, id string) map[string]any {
	t.Helper()
	var v struct {
		Protocol map[string]any `json:"protocol"`
	}
	if st := c.Do(http.MethodGet, "/api/protocols/library/"+id, nil, &v); st != http.StatusOK {
		t.Fatalf("library %s: status %d", id, st)
	}
	return v.Protocol
}

// clone deep-copies a JSON document.
func clone(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// protocolRev is the part of a protocol revision the tests compare.
type protocolRev struct {
	ID       string          `json:"id"`
	Source   string          `json:"source"`
	Title    string          `json:"title"`
	Template string          `json:"template"`
	Revision int             `json:"revision"`
	Latest   int             `json:"latest"`
	Hash     string          `json:"hash"`
	Protocol json.RawMessage `json:"protocol"`
	Warnings []struct {
		Field   string `json:"field"`
		Rule    string `json:"rule"`
		Message string `json:"message"`
	} `json:"warnings"`
	Unchanged bool `json:"unchanged"`
}

type compositionRev struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Revision    int             `json:"revision"`
	Latest      int             `json:"latest"`
	Hash        string          `json:"hash"`
	Composition json.RawMessage `json:"composition"`
	Unchanged   bool            `json:"unchanged"`
}
