package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/havenvr/haven/server/apierr"
)

// TestInClinic: a row is loaded only through its own clinic; a missing id
// and another clinic's id give the same NotFound (nothing crosses tenants,
// not even existence), inside a transaction as outside one.
func TestInClinic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: t.TempDir(), Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	for _, c := range []Clinic{{ID: "c1", Name: "One"}, {ID: "c2", Name: "Two"}} {
		if err := s.DB.Create(&c).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DB.Create(&Patient{ID: "p1", ClinicID: "c1", Code: "A", BirthYear: 1980}).Error; err != nil {
		t.Fatal(err)
	}
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
