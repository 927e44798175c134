package e2e

import (
	"testing"
	"time"
)

// until polls cond every 50 ms until it holds, failing the test with what
// when d passes first: a wait on a condition with a deadline, for state the
// test reads on the Go side (the store, the console peer's inbox).
func until(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("e2e: %s: not within %s", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// recvAfter counts the control frames the patient page received after t
// (unix ms on the shared wall clock), from its tap.
func recvAfter(p *Page, label string, t float64) int {
	n := 0
	for _, f := range tapped(p, "recv") {
		if f.Label == label && f.T > t {
			n++
		}
	}
	return n
}
