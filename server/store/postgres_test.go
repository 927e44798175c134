package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/havenvr/haven/server/store/pgtest"
)

// Nodes of a cluster start together against one empty database: each
// migration step must run exactly once, and every node must come up.
func TestPostgresNodesMigrateTogetherOnce(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	const nodes = 3
	stores := make([]*Store, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(ctx, Options{DSN: url})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	var rows []schemaMigration
	if err := stores[0].DB.Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(migrations) {
		t.Fatalf("schema_migrations has %d rows, want one per step (%d)", len(rows), len(migrations))
	}
	if !stores[1].Postgres() {
		t.Fatal("store opened from a postgres:// URL does not say it is PostgreSQL")
	}
	if err := stores[2].Backup(ctx, t.TempDir()+"/x.db"); !errors.Is(err, ErrBackupPostgres) {
		t.Fatalf("Backup on PostgreSQL = %v, want ErrBackupPostgres", err)
	}
}

// The constraints SQLite only enforces with the right DSN hold on
// PostgreSQL too, and times come back equal (PostgreSQL keeps microseconds).
func TestPostgresConstraintsAndTimes(t *testing.T) {
	s, err := Open(context.Background(), Options{DSN: pgtest.NewDatabase(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 12, 7, 14, 3, 59, 123456000, time.UTC)
	c := Clinic{ID: NewID(), Name: "Cluster clinic", DefaultLocale: "en", CreatedAt: at}
	if err := s.DB.Create(&c).Error; err != nil {
		t.Fatal(err)
	}
	var back Clinic
	if err := s.DB.First(&back, "id = ?", c.ID).Error; err != nil {
		t.Fatal(err)
	}
	if !back.CreatedAt.Equal(at) {
		t.Fatalf("created_at %v, want %v", back.CreatedAt, at)
	}
	if err := s.DB.Create(&Clinic{ID: c.ID, Name: "again"}).Error; !errors.Is(err, gorm.ErrDuplicatedKey) {
		t.Fatalf("duplicate clinic id: %v, want ErrDuplicatedKey", err)
	}
	p := Patient{ID: NewID(), ClinicID: "no-such-clinic", Code: "P-1"}
	if err := s.DB.Create(&p).Error; !errors.Is(err, gorm.ErrForeignKeyViolated) {
		t.Fatalf("patient of a missing clinic: %v, want ErrForeignKeyViolated", err)
	}
}
