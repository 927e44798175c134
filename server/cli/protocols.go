package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/havenvr/haven/environments"
	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/alertrules"
)

const protocolsUsage = `Usage:
  haven protocols list
      List the built-in exposure ladders and calming protocols.
  haven protocols validate FILE...
      Validate protocol documents against the templates. Prints every error
      with the field it names (exit 1) and ladder warnings (exit 0).
  haven protocols simulate PROTOCOL --events EVENTS.jsonl [--patient PATIENT.json] [--age N] [--flags a,b] [--ack a,b]
      Run the session engine over an event log (the timeline format, one JSON
      event per line; see docs/domain.md) and print the commands it emits,
      one JSON object per line. PROTOCOL is a built-in id or a file.
      --patient reads {"age", "flags", "acknowledged", "settings"}: the
      patient's own settings, e.g. a heart-rate ceiling off or in bpm with a
      reason ({"hr_ceiling_bpm": 110, "hr_ceiling_reason": "beta-blockers"}).
      --age, --flags and --ack, when given, replace the file's. Biosignal
      inputs in the log ({"type":"biosignal.metrics","metrics":{"hr_bpm":150}})
      run through the session's alert rules once a second, as live.

Examples:
  haven protocols validate clinic/heights-ladder.json
  haven protocols simulate box_breathing --events session.jsonl
  haven protocols simulate heights_ladder --events log.jsonl --age 40 --flags epilepsy
  haven protocols simulate heights_ladder --events log.jsonl --patient patient.json
`

// Protocols implements `haven protocols`.
func Protocols(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || askedHelp(args) {
		fmt.Fprint(stdout, protocolsUsage)
		return boolExit(len(args) == 0, 2)
	}
	cat, err := environments.Builtin()
	if err == nil {
		var lib *protocols.Library
		if lib, err = protocols.BuiltinLibrary(cat); err == nil {
			switch args[0] {
			case "list":
				return protoList(lib, stdout)
			case "validate":
				return protoValidate(ctx, cat, args[1:], stdout, stderr)
			case "simulate":
				return protoSimulate(cat, lib, args[1:], stdout, stderr)
			}
			fmt.Fprintf(stderr, "haven protocols: unknown subcommand %q\n\n%s", args[0], protocolsUsage)
			return 2
		}
	}
	fmt.Fprintf(stderr, "haven protocols: %v\n", err)
	return 1
}

func protoFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("haven protocols "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, protocolsUsage) }
	return fs
}

func protoList(lib *protocols.Library, stdout io.Writer) int {
	for _, p := range lib.List() {
		n := len(p.Steps)
		if p.Kind == protocols.KindCalming {
			n = len(p.Script)
		}
		fmt.Fprintf(stdout, "%-24s %-9s %-12s %-16s %d\n", p.ID, p.Kind, p.Mode, p.Template, n)
	}
	return 0
}

func protoLoadFile(name string) (*protocols.Protocol, error) {
	data, err := readCapped(name, protocols.MaxProtocolBytes)
	if err != nil {
		return nil, err
	}
	return protocols.Decode(data)
}

func protoValidate(ctx context.Context, cat *environments.Catalog, args []string, stdout, stderr io.Writer) int {
	fs := protoFlags("validate", stderr)
	if err := fs.Parse(args); err != nil {
		return boolExit(!errors.Is(err, flag.ErrHelp), 2)
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, protocolsUsage)
		return 2
	}
	code := 0
	for _, name := range fs.Args() {
		if ctx.Err() != nil {
			return 1
		}
		p, err := protoLoadFile(name)
		if err == nil {
			err = p.Validate(cat)
		}
		if err != nil {
			code = 1
			printFieldErrors(stderr, name, err)
			continue
		}
		for _, w := range p.Warnings() {
			fmt.Fprintf(stdout, "%s: warning: %s: %s %v\n", name, w.Field, w.Rule, w.Args)
		}
		fmt.Fprintf(stdout, "%s: ok\n", name)
	}
	return code
}

// parseInterspersed lets flags follow positional arguments
// (simulate PROTOCOL --events FILE).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func protoSimulate(cat *environments.Catalog, lib *protocols.Library, args []string, stdout, stderr io.Writer) int {
	fs := protoFlags("simulate", stderr)
	events := fs.String("events", "", "event log, one JSON event per line (required)")
	age := fs.Int("age", 0, "patient age in years, for the heart-rate ceiling")
	flags := fs.String("flags", "", "comma-separated screening flags on the patient record")
	ack := fs.String("ack", "", "comma-separated screening flags already acknowledged")
	patientFile := fs.String("patient", "", "patient document: age, flags, acknowledged, settings")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return boolExit(!errors.Is(err, flag.ErrHelp), 2)
	}
	if len(pos) != 1 || *events == "" {
		fmt.Fprint(stderr, protocolsUsage)
		return 2
	}
	p, ok := lib.Get(pos[0])
	if !ok {
		if p, err = protoLoadFile(pos[0]); err != nil {
			fmt.Fprintf(stderr, "haven protocols simulate: %s is neither a built-in protocol nor a readable file: %v\n", pos[0], err)
			return 1
		}
	}
	f, err := os.Open(*events)
	if err != nil {
		fmt.Fprintf(stderr, "haven protocols simulate: %v\n", err)
		return 1
	}
	defer f.Close()
	evs, err := protocols.ReadEvents(f)
	if err != nil {
		fmt.Fprintf(stderr, "haven protocols simulate: %v\n", err)
		return 1
	}
	var pat protocols.Patient
	if *patientFile != "" {
		data, err := readCapped(*patientFile, protocols.MaxPatientBytes)
		if err == nil {
			pat, err = protocols.DecodePatient(data)
		}
		if err != nil {
			printFieldErrors(stderr, *patientFile, err)
			return 1
		}
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "age":
			pat.Age = *age
		case "flags":
			pat.Flags = splitList(*flags)
		case "ack":
			pat.Acknowledged = splitList(*ack)
		}
	})
	cfg := protocols.Config{Protocol: p, Catalog: cat, Patient: pat}
	cmds, err := alertrules.Simulate(cfg, evs)
	if err != nil {
		printFieldErrors(stderr, pos[0], err)
		return 1
	}
	if err := protocols.WriteCommands(stdout, cmds); err != nil {
		fmt.Fprintf(stderr, "haven protocols simulate: %v\n", err)
		return 1
	}
	return 0
}
