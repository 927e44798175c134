package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMigrationIDs(t *testing.T) {
	t.Parallel()
	last := 0
	for _, m := range migrations {
		if m.ID <= last {
			t.Fatalf("migration %q has ID %d after %d: IDs must strictly increase (two changes picked one ID?)", m.Name, m.ID, last)
		}
		last = m.ID
	}
}

func TestOpenSetsDurablePragmasAndMigratesOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, sync := range []string{"NORMAL", "FULL"} {
		s, err := Open(context.Background(), Options{DSN: filepath.Join(dir, sync+".db"), Synchronous: sync})
		if err != nil {
			t.Fatalf("%s: %v", sync, err)
		}
		ok, err := s.Migrated(context.Background())
		if err != nil || !ok {
			t.Fatalf("%s: migrated = %v, %v", sync, ok, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		// Reopening applies nothing twice.
		s, err = Open(context.Background(), Options{DSN: filepath.Join(dir, sync+".db"), Synchronous: sync})
		if err != nil {
			t.Fatalf("%s reopen: %v", sync, err)
		}
		_ = s.Close()
	}
	if _, err := Open(context.Background(), Options{DataDir: dir, Synchronous: "OFF"}); err == nil {
		t.Fatal("synchronous=OFF accepted")
	}
}

func TestBackupIsConsistentCopy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Open(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := Clinic{ID: NewID(), Name: "Backup clinic"}
	if err := s.DB.Create(&c).Error; err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "copy.db")
	if err := s.Backup(context.Background(), target); err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(context.Background(), target); err == nil {
		t.Fatal("backup overwrote an existing file")
	}
	restored, err := Open(context.Background(), Options{DSN: target})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	var got Clinic
	if err := restored.DB.Take(&got, "id = ?", c.ID).Error; err != nil || got.Name != c.Name {
		t.Fatalf("restored copy lacks the clinic: %v %+v", err, got)
	}
}

// TestSecureDeleteLeavesNoText deletes rows and then reads the raw database
// file and WAL: with secure_delete on, the deleted text is zeroed, not left
// in free space where a copy of the file would still reveal it.
func TestSecureDeleteLeavesNoText(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Open(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var on int
	if err := s.DB.Raw("PRAGMA secure_delete").Scan(&on).Error; err != nil || on != 1 {
		t.Fatalf("secure_delete = %d, %v; want 1", on, err)
	}
	for _, tc := range []struct{ name, marker string }{
		{"short", "purged-marker-short"},
		{"overflow page", "purged-marker-long-" + strings.Repeat("x", 9000)},
	} {
		c := Clinic{ID: NewID(), Name: tc.marker}
		if err := s.DB.Create(&c).Error; err != nil {
			t.Fatalf("%s: creating: %v", tc.name, err)
		}
		if err := s.DB.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
			t.Fatal(err)
		}
		if raw := rawFiles(t, s.Path); !bytes.Contains(raw, []byte(tc.marker[:19])) {
			t.Fatalf("%s: marker not found in the file before deletion: the scan cannot see it", tc.name)
		}
		if err := s.DB.Delete(&Clinic{}, "id = ?", c.ID).Error; err != nil {
			t.Fatalf("%s: deleting: %v", tc.name, err)
		}
		if err := s.DB.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
			t.Fatal(err)
		}
		if raw := rawFiles(t, s.Path); bytes.Contains(raw, []byte(tc.marker[:19])) {
			t.Errorf("%s: deleted text is still in the database file or WAL", tc.name)
		}
	}
}

// rawFiles returns the bytes of the database file and its WAL.
func rawFiles(t *testing.T, path string) []byte {
	t.Helper()
	var out []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("reading %s: %v", p, err)
		}
		out = append(out, b...)
	}
	return out
}

// TestArchiveMigrationUpgrades opens a database as schema step 9 left it
// (no archive columns, step 10 not recorded, a composition and a protocol
// stored) and checks that opening it applies step 10 once: the columns are
// there, the rows are kept and start out in use (not archived).
func TestArchiveMigrationUpgrades(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "haven.db")
	s, err := Open(ctx, Options{DSN: path})
	if err != nil {
		t.Fatal(err)
	}
	c := Clinic{ID: NewID(), Name: "Upgrade clinic"}
	comp := Composition{ID: NewID(), ClinicID: c.ID, Name: "Balcony", Template: "heights", Latest: 1}
	proto := ClinicProtocol{ID: NewID(), ClinicID: c.ID, Kind: "exposure", Template: "heights", Latest: 1}
	for _, row := range []any{&c, &comp, &proto} {
		if err := s.DB.Create(row).Error; err != nil {
			t.Fatal(err)
		}
	}
	m := s.DB.Migrator()
	for _, model := range []any{&Composition{}, &ClinicProtocol{}} {
		for _, col := range []string{"ArchivedAt", "ArchivedBy"} {
			if err := m.DropColumn(model, col); err != nil {
				t.Fatalf("making a step-9 database: dropping %s: %v", col, err)
			}
			if m.HasColumn(model, col) {
				t.Fatalf("making a step-9 database: %T still has %s", model, col)
			}
		}
	}
	if err := s.DB.Delete(&schemaMigration{}, 10).Error; err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Migrated(ctx); ok {
		t.Fatal("a database without step 10 reports itself migrated")
	}
	_ = s.Close()

	s, err = Open(ctx, Options{DSN: path})
	if err != nil {
		t.Fatalf("upgrading: %v", err)
	}
	defer s.Close()
	if ok, err := s.Migrated(ctx); !ok || err != nil {
		t.Fatalf("migrated = %v, %v", ok, err)
	}
	for _, model := range []any{&Composition{}, &ClinicProtocol{}} {
		for _, col := range []string{"ArchivedAt", "ArchivedBy"} {
			if !s.DB.Migrator().HasColumn(model, col) {
				t.Errorf("%T has no %s column after the upgrade", model, col)
			}
		}
	}
	var gotComp Composition
	var gotProto ClinicProtocol
	if err := s.DB.Take(&gotComp, "id = ?", comp.ID).Error; err != nil || gotComp.Name != "Balcony" || gotComp.ArchivedAt != nil {
		t.Errorf("composition after the upgrade: %+v (%v), want it kept and in use", gotComp, err)
	}
	if err := s.DB.Take(&gotProto, "id = ?", proto.ID).Error; err != nil || gotProto.ArchivedAt != nil || gotProto.ArchivedBy != "" {
		t.Errorf("protocol after the upgrade: %+v (%v), want it kept and in use", gotProto, err)
	}
}
