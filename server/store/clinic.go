package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/havenvr/haven/server/apierr"
)

// InClinic loads the row of T whose id is id and which belongs to clinicID,
// through db (the store's handle or a transaction). A row of another clinic
// is not found either, so a guessed id reveals nothing across tenants:
// both answer apierr NotFound. Any other failure is wrapped with what
// ("patient", "session", …).
func InClinic[T any](ctx context.Context, db *gorm.DB, what, clinicID, id string) (T, error) {
	return InClinicBy[T](ctx, db, what, clinicID, "id = ?", id)
}

// InClinicBy is InClinic for a row found by other columns (query and args,
// as gorm's Where takes them): a protocol's revision, a patient's latest
// assignment. The clinic's condition is always added. db may carry a Select
// or an Order (the first row in that order is taken).
func InClinicBy[T any](ctx context.Context, db *gorm.DB, what, clinicID, query string, args ...any) (T, error) {
	var row T
	err := db.WithContext(ctx).Where(query, args...).Where("clinic_id = ?", clinicID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, apierr.New(apierr.NotFound)
	}
	if err != nil {
		return row, apierr.Errorf("store: loading %s: %w", what, err)
	}
	return row, nil
}

// DecodeJSON decodes a JSON column into v. An empty column leaves v as it
// is; a column that does not decode is an error naming it, never a silent
// zero value (a screening checklist that read as empty would let a session
// past the screening gate).
func DecodeJSON(column, data string, v any) error {
	if data == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(data), v); err != nil {
		return fmt.Errorf("store: decoding %s: %w", column, err)
	}
	return nil
}
