package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/havenvr/haven/server/apierr"
)

// twoClinics is a store with clinics c1 and c2 and patient p1 of c1.
func twoClinics(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{DataDir: t.TempDir(), Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	for _, row := range []any{&Clinic{ID: "c1", Name: "One"}, &Clinic{ID: "c2", Name: "Two"},
		&Patient{ID: "p1", ClinicID: "c1", Code: "A", BirthYear: 1980}} {
		if err := s.DB.Create(row).Error; err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestInClinic: a row is loaded only through its own clinic; a missing id
// and another clinic's id give the same NotFound (nothing crosses tenants,
// not even existence), inside a transaction as outside one.
func TestInClinic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := twoClinics(t)
	got, err := InClinic[Patient](ctx, s.DB, "patient", "c1", "p1")
	if err != nil || got.Code != "A" {
		t.Fatalf("own clinic: %+v %v", got, err)
	}
	for name, q := range map[string][2]string{"other clinic": {"c2", "p1"}, "no such id": {"c1", "p9"}} {
		_, err := InClinic[Patient](ctx, s.DB, "patient", q[0], q[1])
		var ae *apierr.Error
		if !errors.As(err, &ae) || ae.Code != apierr.NotFound {
			t.Errorf("%s: %v, want not_found", name, err)
		}
	}
	if err := s.DB.Transaction(func(tx *gorm.DB) error {
		_, err := InClinic[Patient](ctx, tx, "patient", "c1", "p1")
		return err
	}); err != nil {
		t.Fatalf("in a transaction: %v", err)
	}
}

// TestInClinicBy: a row found by other columns than its id is still found
// only through its clinic (another clinic's gives the same NotFound as none),
// and an Order on the handle picks which of several rows is taken — the
// latest ladder assignment of a patient.
func TestInClinicBy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := twoClinics(t)
	for _, row := range []any{&LadderAssignment{ClinicID: "c1", PatientID: "p1", ProtocolID: "heights_ladder", Source: "library", Rev: 1, Hash: "h1"},
		&LadderAssignment{ClinicID: "c1", PatientID: "p1", ProtocolID: "spiders_ladder", Source: "library", Rev: 1, Hash: "h2"}} {
		if err := s.DB.Create(row).Error; err != nil {
			t.Fatal(err)
		}
	}
	a, err := InClinicBy[LadderAssignment](ctx, s.DB.Order("id DESC"), "ladder assignment", "c1", "patient_id = ?", "p1")
	if err != nil || a.ProtocolID != "spiders_ladder" {
		t.Fatalf("latest assignment: %+v %v, want spiders_ladder", a, err)
	}
	for name, clinic := range map[string]string{"other clinic": "c2", "no such clinic": "c9"} {
		_, err := InClinicBy[LadderAssignment](ctx, s.DB, "ladder assignment", clinic, "patient_id = ?", "p1")
		if e := apierr.From(err); e.Code != apierr.NotFound {
			t.Errorf("%s: %v, want not_found", name, err)
		}
	}
}

// TestDecodeJSON: an empty column leaves the value, a valid one fills it,
// and one that does not decode is an error naming the column.
func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	v := map[string]bool{"kept": true}
	if err := DecodeJSON("screening", "", &v); err != nil || !v["kept"] {
		t.Fatalf("empty column: %v %v", v, err)
	}
	if err := DecodeJSON("screening", `{"epilepsy":true}`, &v); err != nil || !v["epilepsy"] {
		t.Fatalf("valid column: %v %v", v, err)
	}
	err := DecodeJSON("patient p1 screening", `{"epilepsy":tru`, &v)
	if err == nil || !strings.Contains(err.Error(), "patient p1 screening") {
		t.Fatalf("broken column: %v", err)
	}
}
