//go:build !linux

package bench

import (
	"errors"
	"runtime"
)

// AllowedCPUs lists the CPUs this process may run on; without
// sched_getaffinity every CPU is assumed.
func AllowedCPUs() ([]int, error) {
	out := make([]int, runtime.NumCPU())
	for i := range out {
		out[i] = i
	}
	return out, nil
}

// PinToCPU is only implemented on Linux.
func PinToCPU(int) (func(), error) { return nil, errors.New("bench: pinning to a CPU needs Linux") }
