package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// The database, its WAL and shared-memory files are 0600 and the data
// directory 0700, also when the directory and an old database were made
// readable by others beforehand (issue 17: 0644 files, a 0755 directory kept).
func TestDataFilesPrivate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	for round := 0; round < 2; round++ {
		s, err := Open(context.Background(), Options{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		// A write makes SQLite create the -wal and -shm files.
		if err := Audit(context.Background(), s.DB, AuditEvent{Action: "test.write"}); err != nil {
			t.Fatal(err)
		}
		check := func(p string, want os.FileMode) {
			t.Helper()
			st, err := os.Stat(p)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if got := st.Mode().Perm(); got != want {
				t.Errorf("round %d: %s is %#o, want %#o", round, filepath.Base(p), got, want)
			}
		}
		check(dir, 0o700)
		for _, f := range []string{"haven.db", "haven.db-wal", "haven.db-shm"} {
			check(filepath.Join(dir, f), 0o600)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		// Round two: someone loosened everything; opening tightens it again.
		for _, f := range []string{"haven.db", "haven.db-wal", "haven.db-shm"} {
			_ = os.Chmod(filepath.Join(dir, f), 0o644)
		}
		_ = os.Chmod(dir, 0o755)
	}
}

// A database made before step 12 (one address, one account across all
// clinics) is upgraded to one account per clinic and address.
func TestEmailPerClinicMigrationUpgrades(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "haven.db")
	s, err := Open(ctx, Options{DSN: path})
	if err != nil {
		t.Fatal(err)
	}
	a, b := Clinic{ID: NewID(), Name: "A"}, Clinic{ID: NewID(), Name: "B"}
	for _, c := range []*Clinic{&a, &b} {
		if err := s.DB.Create(c).Error; err != nil {
			t.Fatal(err)
		}
	}
	// The step-11 schema: the per-clinic index absent, a global one present.
	if err := s.DB.Exec("DROP INDEX idx_users_clinic_email").Error; err != nil {
		t.Fatal(err)
	}
	if err := s.DB.Exec("CREATE UNIQUE INDEX idx_users_email ON users(email)").Error; err != nil {
		t.Fatal(err)
	}
	if err := s.DB.Delete(&schemaMigration{}, 12).Error; err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s, err = Open(ctx, Options{DSN: path})
	if err != nil {
		t.Fatalf("upgrading: %v", err)
	}
	defer s.Close()
	user := func(clinic string) error {
		return s.DB.Create(&User{ID: NewID(), ClinicID: clinic, Email: "same@example.test", Role: RoleTherapist}).Error
	}
	if err := user(a.ID); err != nil {
		t.Fatal(err)
	}
	if err := user(b.ID); err != nil {
		t.Fatalf("the address in a second clinic: %v", err)
	}
	if err := user(a.ID); err == nil {
		t.Fatal("the address twice in one clinic was accepted")
	}
}
