package biosignal

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"
)

// MaxRRFileBytes bounds RR files read by ParseRR (a day of beats is ~600 KB).
const MaxRRFileBytes = 16 << 20

// ParseRR reads RR intervals (ms) from a plain list (one value per line, LF or
// CRLF) or a Polar HRM export (values after the "[HRData]" line, first
// column). Blank lines are skipped; anything non-numeric is CodeMalformed with
// its line index.
func ParseRR(r io.Reader) ([]float64, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxRRFileBytes+1))
	if err != nil {
		return nil, errf(CodeMalformed, -1, "reading: %v", err)
	}
	if len(data) > MaxRRFileBytes {
		return nil, errf(CodeTooLarge, -1, "RR file over %d bytes", MaxRRFileBytes)
	}
	start := 0
	if i := bytes.Index(data, []byte("[HRData]")); i >= 0 {
		start = i + len("[HRData]")
	} else if bytes.HasPrefix(bytes.TrimSpace(data), []byte("[")) {
		return nil, errf(CodeMalformed, -1, "HRM file without [HRData] section")
	}
	sc := bufio.NewScanner(bytes.NewReader(data[start:]))
	// A line may be as long as the file: the default 64 KB token limit made
	// the scanner stop silently and return only the values before it.
	sc.Buffer(make([]byte, 0, 4096), MaxRRFileBytes+1)
	var rr []float64
	for line := 0; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if strings.HasPrefix(f[0], "[") { // next HRM section
			break
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil || v <= 0 || v != v || v > 1e6 {
			return nil, errf(CodeMalformed, line, "%q is not an RR interval in ms", f[0])
		}
		rr = append(rr, v)
	}
	if err := sc.Err(); err != nil {
		return nil, errf(CodeMalformed, -1, "reading lines: %v", err)
	}
	if len(rr) == 0 {
		return nil, errf(CodeEmpty, -1, "no RR intervals found")
	}
	return rr, nil
}
