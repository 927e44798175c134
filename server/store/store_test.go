package store

import (
	"context"
	"path/filepath"
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
