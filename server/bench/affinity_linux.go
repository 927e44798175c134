package bench

import (
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// AllowedCPUs lists the CPUs this process may run on (sched_getaffinity).
func AllowedCPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, fmt.Errorf("bench: reading CPU affinity: %w", err)
	}
	var out []int
	for c := range 1024 {
		if set.IsSet(c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// PinToCPU confines this process to one CPU: sched_setaffinity(2) applies to
// one thread, so every thread the runtime has started is pinned (threads
// started later inherit the mask of the thread that clones them), and
// GOMAXPROCS follows, so the scheduler does not run two Ps on one core.
// restore puts back the mask and GOMAXPROCS from before.
func PinToCPU(cpu int) (restore func(), err error) {
	var prev, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &prev); err != nil {
		return nil, fmt.Errorf("bench: reading CPU affinity: %w", err)
	}
	procs := runtime.GOMAXPROCS(0)
	set.Set(cpu)
	if err := setAffinity(&set); err != nil {
		return nil, fmt.Errorf("bench: pinning to CPU %d: %w", cpu, err)
	}
	runtime.GOMAXPROCS(1)
	return func() {
		_ = setAffinity(&prev)
		runtime.GOMAXPROCS(procs)
	}, nil
}

// setAffinity gives every thread of this process the mask.
func setAffinity(set *unix.CPUSet) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// The calling thread first: threads cloned from here on inherit it.
	if err := unix.SchedSetaffinity(0, set); err != nil {
		return err
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return fmt.Errorf("listing threads: %w", err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		// A thread may exit between the listing and the call: not an error.
		if err := unix.SchedSetaffinity(tid, set); err != nil && err != unix.ESRCH {
			return fmt.Errorf("thread %d: %w", tid, err)
		}
	}
	return nil
}
