package bench

import "testing"

// FuzzParseProc feeds arbitrary /proc text to the parsers: a process's
// status or stat file (whose name field the process itself chooses) must
// give a value or an error, never a panic or a negative figure.
func FuzzParseProc(f *testing.F) {
	f.Add("VmRSS:\t  123456 kB\nThreads:\t17\n", "4242 (haven) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 12 0")
	f.Add("VmRSS:", "1 (a) b) S")
	f.Add("", ")))")
	f.Add("VmRSS:\t-5 kB\n", "1 (x) S 1 2 3 4 5 6 7 8 9 10 -3 -4")
	f.Fuzz(func(t *testing.T, status, stat string) {
		if rss, err := parseStatusKB(status, "VmRSS:"); err == nil && rss < 0 {
			t.Fatalf("negative RSS %d from %q", rss, status)
		}
		if cpu, err := parseStatCPU(stat); err == nil && cpu < 0 {
			t.Fatalf("negative CPU %v from %q", cpu, stat)
		}
	})
}
