package biosignal

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseRR feeds arbitrary bytes to the RR-file parser (uploaded by
// therapists, exported by third-party devices). It checks that every error is
// coded, that every accepted value is a plausible interval, that every data
// line was read (nothing silently dropped) and that the values round-trip.
func FuzzParseRR(f *testing.F) {
	for _, s := range []string{
		"1114\r\n1113\r\n\r\n1066\r\n",
		"[Params]\r\nVersion=106\r\n[HRData]\r\n904\r\n913\r\n",
		"[HRData]\n904\t120\n913\t121\n[Other]\n5\n",
		"[HRData]812\n", "800\nabc\n", "800\n-5\n", "NaN\n", "+Inf\n", "1e6\n1e-300\n", "0x1p10\n",
		"[Params]\nX=1\n", "\r\n", "",
		// One line longer than bufio.Scanner's default 64 KB token.
		"800\n" + strings.Repeat(" ", 70<<10) + "900\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rr, err := ParseRR(bytes.NewReader(data))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("uncoded error %T %v", err, err)
			}
			switch e.Code {
			case CodeMalformed, CodeTooLarge, CodeEmpty:
			default:
				t.Fatalf("unexpected code %s: %v", e.Code, err)
			}
			if rr != nil {
				t.Fatalf("values %v returned with error %v", rr, err)
			}
			return
		}
		if len(rr) == 0 {
			t.Fatal("no values and no error")
		}
		for i, v := range rr {
			if !(v > 0 && v <= 1e6) {
				t.Fatalf("accepted implausible interval %v at %d", v, i)
			}
		}
		if want := dataLines(data); len(rr) != want {
			t.Fatalf("parsed %d values from %d data lines", len(rr), want)
		}
		var b strings.Builder
		for _, v := range rr {
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64) + "\n")
		}
		again, err := ParseRR(strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("re-parsing %q: %v", b.String(), err)
		}
		for i := range rr {
			if again[i] != rr[i] {
				t.Fatalf("round trip changed %v to %v", rr, again)
			}
		}
	})
}

// dataLines counts the non-blank lines ParseRR must read: from after
// "[HRData]" (or the start) up to the next "[" section.
func dataLines(data []byte) int {
	if i := bytes.Index(data, []byte("[HRData]")); i >= 0 {
		data = data[i+len("[HRData]"):]
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if strings.HasPrefix(f[0], "[") {
			break
		}
		n++
	}
	return n
}
