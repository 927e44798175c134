package biosignal

import (
	"os"
	"path/filepath"
	"testing"
)

// refPath returns the path of a reference recording from $HAVEN_REFERENCE_DATA
// or ../shared/biosignals/ beside the repository root (found by walking up to
// go.mod). Absent data skips the test, except under CI=true where it fails.
func refPath(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("HAVEN_REFERENCE_DATA")
	if dir == "" {
		if root := repoRoot(); root != "" {
			dir = filepath.Join(root, "..", "shared", "biosignals")
		}
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		msg := "reference recording " + name + " not found: set HAVEN_REFERENCE_DATA or place ../shared/biosignals/ beside the repo"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

func repoRoot() string {
	d, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		up := filepath.Dir(d)
		if up == d {
			return ""
		}
		d = up
	}
}

func readRR(t testing.TB, name string) []float64 {
	t.Helper()
	f, err := os.Open(refPath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rr, err := ParseRR(f)
	if err != nil {
		t.Fatalf("ParseRR(%s): %v", name, err)
	}
	return rr
}
