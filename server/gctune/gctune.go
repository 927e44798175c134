// Package gctune sets the Go garbage collector's policy for Haven's server.
//
// Every collection's mark phase takes a share of the CPU from the peers'
// send loops; on a busy server (a 500-member support room fans out 10,000
// messages a second) those phases are what the slowest deliveries wait
// behind. Collecting less often — a higher GOGC — shortens that tail at
// the cost of a larger heap, and a soft memory limit keeps the cost
// bounded: as the heap nears the limit the collector works harder again,
// whatever GOGC says. BENCHMARKS.md has the measured trade-off.
package gctune

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Defaults: collect when the heap has grown 4× past the live data, within
// a soft limit of a quarter of the machine's memory (at least 1 GiB).
const (
	DefaultPercent = 400
	minAutoLimit   = 1 << 30
)

// Policy is the collector's setting. LimitBytes 0 means no soft limit.
type Policy struct {
	Percent    int
	LimitBytes int64
	// FromEnv names what GOGC / GOMEMLIMIT set instead (an operator's
	// explicit choice is kept).
	FromEnv []string
}

func (p Policy) String() string {
	limit := "none"
	if p.LimitBytes > 0 && p.LimitBytes < math.MaxInt64 { // MaxInt64: the runtime's "off"
		limit = fmt.Sprintf("%d MiB", p.LimitBytes>>20)
	}
	s := fmt.Sprintf("GOGC=%d, soft memory limit %s", p.Percent, limit)
	if len(p.FromEnv) > 0 {
		s += " (" + strings.Join(p.FromEnv, ", ") + " from the environment)"
	}
	return s
}

// Apply sets p, except what the GOGC or GOMEMLIMIT environment variables
// already set (the runtime read them at start), and returns the policy in
// effect.
func Apply(p Policy, getenv func(string) string) Policy {
	if v := getenv("GOGC"); v != "" {
		p.FromEnv = append(p.FromEnv, "GOGC")
		p.Percent = debug.SetGCPercent(-1)
		debug.SetGCPercent(p.Percent)
	} else {
		debug.SetGCPercent(p.Percent)
	}
	if getenv("GOMEMLIMIT") != "" {
		p.FromEnv = append(p.FromEnv, "GOMEMLIMIT")
		p.LimitBytes = debug.SetMemoryLimit(-1)
	} else if p.LimitBytes > 0 {
		debug.SetMemoryLimit(p.LimitBytes)
	}
	return p
}

// ParseLimit reads a --memory-limit value: "auto" (a quarter of physical
// memory, at least 1 GiB), "off", or a size such as 1536MiB, 2GiB, 2GB or
// a plain byte count.
func ParseLimit(s string) (int64, error) {
	switch v := strings.TrimSpace(s); strings.ToLower(v) {
	case "auto", "":
		return AutoLimit(), nil
	case "off", "0":
		return 0, nil
	default:
		for _, u := range []struct {
			suffix string
			mult   int64
		}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}} {
			if num, ok := strings.CutSuffix(v, u.suffix); ok {
				n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
				if err != nil || n <= 0 {
					break
				}
				return int64(n * float64(u.mult)), nil
			}
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			return n, nil
		}
		return 0, fmt.Errorf("gctune: memory limit %q: want auto, off or a size like 2GiB", s)
	}
}

// AutoLimit is a quarter of physical memory, at least 1 GiB (0 when the
// machine's memory cannot be read).
func AutoLimit() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	total := memTotal(f)
	if total <= 0 {
		return 0
	}
	return max(total/4, minAutoLimit)
}

// memTotal reads MemTotal (bytes) from /proc/meminfo's format.
func memTotal(r io.Reader) int64 {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
