package wait_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest/wait"
)

// recorder is a testing.TB that records a failure instead of ending the test.
type recorder struct {
	testing.TB
	failed atomic.Bool
	msg    string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed.Store(true)
	r.msg = format
}

func TestUntil(t *testing.T) {
	t.Run("returns once the condition holds", func(t *testing.T) {
		var n atomic.Int32
		go func() {
			for range 3 {
				n.Add(1)
			}
		}()
		wait.Until(t, 10*time.Second, "three increments", func() bool { return n.Load() == 3 })
	})
	t.Run("fails when the deadline passes first", func(t *testing.T) {
		r := &recorder{TB: t}
		calls := 0
		wait.Until(r, 50*time.Millisecond, "a condition that never holds", func() bool {
			calls++
			return r.failed.Load() // true only after Fatalf: ends the loop as t.FailNow would
		})
		if !r.failed.Load() || calls < 2 {
			t.Fatalf("failed %v after %d polls", r.failed.Load(), calls)
		}
	})
}
