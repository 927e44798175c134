// Package bench is the harness behind `haven bench live` and `haven bench
// crash`: process statistics (RSS, CPU seconds, goroutines, heap), latency
// percentiles, the bare pion↔pion echo that is the floor every relay is
// compared to (DESIGN.md §9), time series for soak runs, progress lines on
// stderr and the one-JSON-object result on stdout.
package bench

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/PID/stat. Linux
// fixes it at 100 for user space on every architecture Go supports
// (proc(5): "sysconf(_SC_CLK_TCK)", which glibc hard-codes to 100).
const clockTicks = 100

// Proc is a snapshot of one process's resource use.
type Proc struct {
	RSSBytes   int64
	CPUSeconds float64
	Threads    int
}

// ReadProc reads the RSS (VmRSS in /proc/PID/status) and the CPU time
// (utime+stime, fields 14 and 15 of /proc/PID/stat) of a process.
func ReadProc(pid int) (Proc, error) {
	var p Proc
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return p, fmt.Errorf("bench: reading status of %d: %w", pid, err)
	}
	if p.RSSBytes, err = parseStatusKB(string(status), "VmRSS:"); err != nil {
		return p, err
	}
	if th, err := parseStatusKB(string(status), "Threads:"); err == nil {
		p.Threads = int(th / 1024)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return p, fmt.Errorf("bench: reading stat of %d: %w", pid, err)
	}
	p.CPUSeconds, err = parseStatCPU(string(stat))
	return p, err
}

// parseStatusKB finds "Key:   123 kB" and returns bytes (a bare number, as
// in "Threads:", is returned ×1024 so callers divide it back).
func parseStatusKB(status, key string) (int64, error) {
	for _, line := range strings.Split(status, "\n") {
		if !strings.HasPrefix(line, key) {
			continue
		}
		f := strings.Fields(strings.TrimPrefix(line, key))
		if len(f) == 0 {
			break
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n < 0 || n > 1<<50 {
			return 0, fmt.Errorf("bench: parsing %s %q: not a size", key, f[0])
		}
		return n * 1024, nil
	}
	return 0, fmt.Errorf("bench: %s missing from /proc status", key)
}

// parseStatCPU returns utime+stime in seconds. The command name (field 2)
// may contain spaces and parentheses, so fields are counted after the last ')'.
func parseStatCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("bench: malformed /proc stat")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("bench: short /proc stat (%d fields)", len(f))
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || ut < 0 || st < 0 || ut > 1<<50 || st > 1<<50 {
		return 0, fmt.Errorf("bench: parsing utime/stime %q %q", f[11], f[12])
	}
	return float64(ut+st) / clockTicks, nil
}

// SelfCPU is this process's user+system CPU time from getrusage(2), at
// microsecond resolution (finer than /proc's 10 ms ticks).
func SelfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// Self is a snapshot of this process: RSS, CPU, goroutines and Go heap.
type Self struct {
	RSSBytes   int64
	CPUSeconds float64
	Goroutines int
	HeapInuse  uint64
}

// ReadSelf snapshots this process. gc forces a collection first so heap
// figures compare live memory rather than garbage awaiting collection.
func ReadSelf(gc bool) Self {
	if gc {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := Self{CPUSeconds: SelfCPU(), Goroutines: runtime.NumGoroutine(), HeapInuse: ms.HeapInuse}
	if p, err := ReadProc(os.Getpid()); err == nil {
		s.RSSBytes = p.RSSBytes
	}
	return s
}

// MB converts bytes to mebibytes rounded to 0.1.
func MB(b int64) float64 { return Round(float64(b)/(1<<20), 1) }

// LoadAvg returns the 1-minute load average from /proc/loadavg (0 if unknown).
func LoadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
