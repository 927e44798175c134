package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/apptest/wait"
	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/store"
)

// TestBackupUnderWritesAndRestore runs `haven backup` against a live server
// while patients are being created through the API, then performs the
// README's restore (stop, replace DIR/haven.db, delete -wal/-shm, start),
// starts the real server on the restored directory and reads the data back
// through the API: everything acknowledged before the backup began is there,
// nothing appears that was never written, and the file passes integrity_check.
func TestBackupUnderWritesAndRestore(t *testing.T) {
	dir := t.TempDir()
	dataDir := func(c *config.Config) { c.DataDir = dir }
	srv := apptest.Start(t, dataDir)
	cl := srv.NewClinic(t, "Backup clinic")
	email, password := "backup@clinic.test", "password-"+store.RandomToken(8)
	if _, err := srv.App.Auth.SetPassword(context.Background(), cl.ID, email, "Therapist", store.RoleTherapist, password); err != nil {
		t.Fatalf("creating the therapist: %v", err)
	}
	th := login(t, srv, email, password)

	var (
		mu        sync.Mutex
		acked     = map[string]time.Time{} // patient code → when the 201 arrived
		attempted = map[string]bool{}
		stop      atomic.Bool
		wg        sync.WaitGroup
	)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				code := fmt.Sprintf("P-%d-%04d", w, i)
				mu.Lock()
				attempted[code] = true
				mu.Unlock()
				st, raw := th.Raw(http.MethodPost, "/api/patients", map[string]any{"code": code, "birth_year": 1980 + i%30})
				if st != http.StatusCreated {
					t.Errorf("creating %s: %d %s", code, st, raw)
					return
				}
				mu.Lock()
				acked[code] = time.Now()
				mu.Unlock()
			}
		}()
	}
	wait.Until(t, 30*time.Second, "20 patients created", func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) >= 20 })
	began := time.Now()
	target := filepath.Join(t.TempDir(), "haven-backup.db")
	var out, errb bytes.Buffer
	if code := Backup(context.Background(), []string{target, "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("haven backup: exit %d: %s", code, errb.String())
	}
	ended := time.Now()
	// Keep writing after the copy, so the live file moves on past it and the
	// restore visibly replaces it.
	wait.Until(t, 30*time.Second, "5 patients created after the backup", func() bool { mu.Lock(); defer mu.Unlock(); return countAfter(acked, ended) >= 5 })
	stop.Store(true)
	wg.Wait()
	mu.Lock()
	var before []string
	for code, at := range acked {
		if at.Before(began) {
			before = append(before, code)
		}
	}
	total := len(acked)
	mu.Unlock()

	// The README's restore.
	srv.Close()
	if err := copyFile(target, filepath.Join(dir, "haven.db")); err != nil {
		t.Fatalf("restoring: %v", err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(filepath.Join(dir, "haven.db"+suffix)); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("removing haven.db%s: %v", suffix, err)
		}
	}
	restored := apptest.Start(t, dataDir)
	var ok string
	if err := restored.App.Store.DB.Raw("PRAGMA integrity_check").Scan(&ok).Error; err != nil || ok != "ok" {
		t.Fatalf("integrity_check on the restored database: %q %v", ok, err)
	}
	var list struct{ Patients []struct{ Code string } }
	if st := login(t, restored, email, password).Do(http.MethodGet, "/api/patients", nil, &list); st != http.StatusOK {
		t.Fatalf("listing patients after restore: %d", st)
	}
	got := map[string]bool{}
	for _, p := range list.Patients {
		got[p.Code] = true
	}
	for _, tc := range []struct {
		name string
		bad  func() []string
	}{
		{"acknowledged before the backup began, missing", func() (out []string) {
			for _, c := range before {
				if !got[c] {
					out = append(out, c)
				}
			}
			return out
		}},
		{"restored but never written", func() (out []string) {
			for c := range got {
				if !attempted[c] {
					out = append(out, c)
				}
			}
			return out
		}},
	} {
		if bad := tc.bad(); len(bad) > 0 {
			t.Errorf("%s: %v", tc.name, bad)
		}
	}
	if len(before) < 20 || len(got) >= total {
		t.Fatalf("%d acknowledged before the backup, %d restored, %d written: want ≥ 20 before and fewer restored than written (the restore replaced the live file)", len(before), len(got), total)
	}
	t.Logf("%d patients acknowledged before the backup, %d in the restored copy, %d written in all", len(before), len(got), total)
}

func login(t *testing.T, srv *apptest.Server, email, password string) *apptest.Client {
	t.Helper()
	c := srv.Anonymous(t)
	var me struct {
		CSRFToken string `json:"csrf_token"`
	}
	if st := c.Do(http.MethodPost, "/api/auth/login", map[string]string{"email": email, "password": password}, &me); st != http.StatusOK {
		t.Fatalf("sign-in: %d", st)
	}
	c.CSRF = me.CSRFToken
	return c
}

func countAfter(m map[string]time.Time, t time.Time) int {
	n := 0
	for _, at := range m {
		if at.After(t) {
			n++
		}
	}
	return n
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return fmt.Errorf("reading %s: %w", from, err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", to, err)
	}
	return nil
}
