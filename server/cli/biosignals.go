package cli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/havenvr/haven/server/biosignal"
)

const biosignalsUsage = `Usage:
  haven biosignals hrv FILE [--window A-B] [--correct RULE] [--json]
      HRV time domain (Task Force 1996) of a plain RR list (ms, one per line) or a
      Polar HRM file; --window keeps intervals whose end time lies in (A, B] seconds.
      --correct (default karlsson, the live rule; all after a 300–2000 ms gate,
      rejected beats linearly interpolated, the share corrected reported):
        none      raw definitions
        malik     > 20 % from the previous interval (Malik et al. 1989)
        kamath    > 32.5 % longer or > 24.5 % shorter than the previous (Kamath & Fallen 1995)
        karlsson  > 20 % from the mean of both neighbours (Karlsson et al. 2012)
        acar      > 20 % from the mean of the previous 9 accepted (Acar et al. 2000)
        quotient  ratio to the previous outside 0.8–1.2 (Piskorski & Guzik 2005)
        median    Kubios-style: > 25 % from the 11-beat median (Tarvainen et al. 2014)
  haven biosignals eda FILE [--min-amplitude µS] [--json]
      Causal tonic/phasic split (2nd-order Butterworth, 0.05 Hz) and trough-to-peak
      SCRs of an Empatica E4 EDA.csv export.
  haven biosignals hrs HEX [--json]
      Decode a Bluetooth Heart Rate Measurement (0x2A37), hex with or without spaces.
`

// Biosignals implements `haven biosignals` for clinicians and researchers.
func Biosignals(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || askedHelp(args) {
		if len(args) > 0 {
			fmt.Fprint(stdout, biosignalsUsage)
			return 0
		}
		fmt.Fprint(stderr, biosignalsUsage)
		return 2
	}
	run := map[string]func([]string, io.Writer, io.Writer) int{"hrv": bioHRV, "eda": bioEDA, "hrs": bioHRS}[args[0]]
	if run == nil {
		fmt.Fprintf(stderr, "haven biosignals: unknown tool %q\n\n%s", args[0], biosignalsUsage)
		return 2
	}
	if err := ctx.Err(); err != nil {
		fmt.Fprintf(stderr, "haven biosignals: %v\n", err)
		return 1
	}
	return run(args[1:], stdout, stderr)
}

// bioParseArgs lets flags follow positional arguments (`hrv FILE --json`),
// which the flag package alone does not.
func bioParseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || len(a) == 1 {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if f := fs.Lookup(name); f != nil && !strings.Contains(a, "=") && !bioIsBoolFlag(f) && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return pos, fs.Parse(flags)
}

func bioIsBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func bioFlags(name string, stderr io.Writer) (*flag.FlagSet, *bool) {
	fs := flag.NewFlagSet("haven biosignals "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, biosignalsUsage) }
	return fs, fs.Bool("json", false, "print one JSON object")
}

func bioEmit(stdout, stderr io.Writer, asJSON bool, v any, text func(io.Writer)) int {
	if !asJSON {
		text(stdout)
		return 0
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(stderr, "haven biosignals: encoding JSON: %v\n", err)
		return 1
	}
	return 0
}

func bioFail(stderr io.Writer, code int, format string, args ...any) int {
	fmt.Fprintf(stderr, "haven biosignals: "+format+"\n", args...)
	return code
}

func bioHRV(args []string, stdout, stderr io.Writer) int {
	fs, asJSON := bioFlags("hrv", stderr)
	window := fs.String("window", "", "seconds A-B: intervals ending in (A, B]")
	rule := fs.String("correct", string(biosignal.DefaultRule), "ectopic correction rule (see usage)")
	pos, err := bioParseArgs(fs, args)
	if err != nil || len(pos) != 1 {
		return bioFail(stderr, 2, "hrv needs exactly one FILE\n\n%s", biosignalsUsage)
	}
	a, b, err := bioWindow(*window)
	if err != nil {
		return bioFail(stderr, 2, "%v", err)
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return bioFail(stderr, 1, "opening RR file: %v", err)
	}
	defer f.Close()
	rr, err := biosignal.ParseRR(f)
	if err != nil {
		return bioFail(stderr, 1, "%s: %v", pos[0], err)
	}
	total := len(rr)
	rr = biosignal.Window(rr, a, b)
	c, err := biosignal.Correct(rr, biosignal.Rule(*rule))
	if err != nil {
		return bioFail(stderr, 2, "%v", err)
	}
	h, err := biosignal.TimeDomain(c.RR)
	if err != nil {
		return bioFail(stderr, 1, "%s window %s: %v", pos[0], *window, err)
	}
	out := map[string]any{"file": pos[0], "intervals_in_file": total, "correction": c, "hrv": h}
	if *window != "" {
		out["window_s"] = []float64{a, b}
	}
	return bioEmit(stdout, stderr, *asJSON, out, func(w io.Writer) {
		fmt.Fprintf(w, "%s: %d of %d intervals", pos[0], h.N, total)
		if *window != "" {
			fmt.Fprintf(w, " ending in (%g, %g] s", a, b)
		}
		fmt.Fprintf(w, "\ncorrection %s", c.Rule)
		if c.Source != "" {
			fmt.Fprintf(w, " (%s)", c.Source)
		}
		fmt.Fprintf(w, ": %d beats (%.2f %%)\n", c.Count, 100*c.Share)
		fmt.Fprintf(w, "mean NN %.3f ms\nSDNN    %.3f ms\nRMSSD   %.3f ms\nNN50    %d\npNN50   %.3f %%\nmean HR %.3f bpm\nmin/max %g/%g ms\n",
			h.MeanNN, h.SDNN, h.RMSSD, h.NN50, h.PNN50, h.MeanHR, h.MinNN, h.MaxNN)
	})
}

func bioWindow(s string) (float64, float64, error) {
	if s == "" {
		return 0, math.Inf(1), nil
	}
	lo, hi, ok := strings.Cut(strings.ReplaceAll(s, "–", "-"), "-")
	a, err1 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
	b, err2 := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(hi), "s"), 64)
	if !ok || err1 != nil || err2 != nil || a < 0 || b <= a {
		return 0, 0, fmt.Errorf("--window %q: want A-B seconds with 0 ≤ A < B", s)
	}
	return a, b, nil
}

func bioEDA(args []string, stdout, stderr io.Writer) int {
	fs, asJSON := bioFlags("eda", stderr)
	minAmp := fs.Float64("min-amplitude", biosignal.DefaultSCRMinAmpl, "minimum SCR amplitude, µS")
	pos, err := bioParseArgs(fs, args)
	if err != nil || len(pos) != 1 {
		return bioFail(stderr, 2, "eda needs exactly one FILE\n\n%s", biosignalsUsage)
	}
	if !(*minAmp > 0) {
		return bioFail(stderr, 2, "--min-amplitude must be > 0")
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return bioFail(stderr, 1, "opening EDA file: %v", err)
	}
	defer f.Close()
	start, rate, x, err := biosignal.ParseE4(f)
	if err != nil {
		return bioFail(stderr, 1, "%s: %v", pos[0], err)
	}
	r, err := biosignal.AnalyzeEDA(x, rate, *minAmp)
	if err != nil {
		return bioFail(stderr, 1, "%s: %v", pos[0], err)
	}
	out := map[string]any{"file": pos[0], "start_unix_s": start, "duration_s": float64(len(x)) / rate, "eda": r}
	return bioEmit(stdout, stderr, *asJSON, out, func(w io.Writer) {
		fmt.Fprintf(w, "%s: %d samples at %g Hz (%.1f min)\nmean %.8f µS, median %g, max %g, SD %.7f\n",
			pos[0], r.N, rate, float64(len(x))/rate/60, r.Mean, r.Median, r.Max, r.SD)
		fmt.Fprintf(w, "SCRs ≥ %g µS on the causal phasic signal: %d (%.3f/min)\n", *minAmp, r.SCRCount, r.SCRPerMin)
	})
}

func bioHRS(args []string, stdout, stderr io.Writer) int {
	fs, asJSON := bioFlags("hrs", stderr)
	pos, err := bioParseArgs(fs, args)
	if err != nil || len(pos) == 0 {
		return bioFail(stderr, 2, "hrs needs HEX\n\n%s", biosignalsUsage)
	}
	h := strings.NewReplacer(" ", "", ":", "", "0x", "", "0X", "").Replace(strings.Join(pos, ""))
	p, err := hex.DecodeString(h)
	if err != nil {
		return bioFail(stderr, 1, "%q is not hex: %v", strings.Join(pos, " "), err)
	}
	m, err := biosignal.DecodeHRS(p)
	if err != nil {
		return bioFail(stderr, 1, "%v", err)
	}
	out := map[string]any{"bytes": fmt.Sprintf("% X", p), "measurement": m, "rr_ms": m.RRms()}
	return bioEmit(stdout, stderr, *asJSON, out, func(w io.Writer) {
		fmt.Fprintf(w, "HR %d bpm (uint16: %v), sensor contact %s\n", m.HR, m.HR16, m.Contact)
		if m.Energy != nil {
			fmt.Fprintf(w, "energy expended %d kJ\n", *m.Energy)
		}
		for i, v := range m.RRms() {
			fmt.Fprintf(w, "RR %d/1024 s = %.10g ms\n", m.RRTicks[i], v)
		}
	})
}
