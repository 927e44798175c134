// Package wait is how Haven's tests wait: on a condition, with a deadline,
// never for a fixed time. A test on a busy machine (make test beside other
// CPU-bound processes) gets as long as the deadline allows and no longer
// than the condition needs.
package wait

import (
	"testing"
	"time"
)

// Every is the polling interval: short against any deadline a test sets,
// long enough not to load the machine it waits on.
const Every = 20 * time.Millisecond

// Until polls cond every 20 ms until it holds, and fails the test, naming
// what it waited for, when within passes first.
func Until(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: still not so after %v", what, within)
		}
		time.Sleep(Every)
	}
}
