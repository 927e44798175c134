package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/havenvr/haven/i18n"
)

const i18nUsage = "usage: haven i18n coverage [--json] | export --locale L | import [--locale L] FILE"

// I18n runs `haven i18n coverage [--json]`, `haven i18n export --locale L`
// and `haven i18n import [--locale L] FILE`. Exit codes: 0 success, 1 a
// locale below 100 % or an invalid import file, 2 usage.
func I18n(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if err := ctx.Err(); err != nil {
		fmt.Fprintln(stderr, "i18n:", err)
		return 1
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help" {
		if len(args) > 0 {
			fmt.Fprintln(stdout, i18nUsage)
			return 0
		}
		fmt.Fprintln(stderr, i18nUsage)
		return 2
	}
	b, err := i18n.Load()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	switch args[0] {
	case "coverage":
		return i18nCoverage(b, args[1:], stdout, stderr)
	case "export":
		return i18nExport(b, args[1:], stdout, stderr)
	case "import":
		return i18nImport(b, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "i18n: unknown command %q\n", args[0])
	return 2
}

func i18nCoverage(b *i18n.Bundle, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("i18n coverage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return helpExit(err)
	}
	cov := b.Coverage()
	complete := true
	for _, c := range cov {
		complete = complete && c.Translated == c.Total
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Complete bool                  `json:"complete"`
			Total    int                   `json:"total"`
			Locales  []i18n.LocaleCoverage `json:"locales"`
		}{complete, len(b.IDs()), cov}); err != nil {
			fmt.Fprintln(stderr, "i18n: writing coverage:", err)
			return 1
		}
	} else {
		fmt.Fprintf(stdout, "%-8s %-4s %11s %8s  %s\n", "LOCALE", "DIR", "TRANSLATED", "PERCENT", "MISSING")
		for _, c := range cov {
			fmt.Fprintf(stdout, "%-8s %-4s %5d/%-5d %7.2f%%  %s\n", c.Locale, c.Dir, c.Translated, c.Total, c.Percent, strings.Join(append(c.Missing, c.Invalid...), " "))
		}
	}
	if !complete {
		return 1
	}
	return 0
}

func i18nExport(b *i18n.Bundle, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("i18n export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	loc := fs.String("locale", "", "locale to export (e.g. fr, pt-BR)")
	if err := fs.Parse(args); err != nil {
		return helpExit(err)
	}
	if *loc == "" {
		fmt.Fprintln(stderr, "usage: haven i18n export --locale L")
		return 2
	}
	data, err := b.Export(*loc)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if _, err := stdout.Write(data); err != nil {
		fmt.Fprintln(stderr, "i18n: writing export:", err)
		return 1
	}
	return 0
}

func i18nImport(b *i18n.Bundle, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("i18n import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	loc := fs.String("locale", "", "locale of the file (default: from FILE's name, <area>.<locale>.json)")
	if err := fs.Parse(args); err != nil {
		return helpExit(err)
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: haven i18n import [--locale L] FILE")
		return 2
	}
	name := fs.Arg(0)
	data, err := readLimited(name)
	if err != nil {
		fmt.Fprintln(stderr, "i18n:", err)
		return 1
	}
	rep, err := b.Import(name, data, *loc)
	if rep == nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "locale %s: %d messages, %d unchanged, %d changed, %d new, %d still missing\n",
		rep.Locale, rep.Messages, rep.Unchanged, len(rep.Changed), len(rep.New), len(rep.Missing))
	if err != nil {
		var joined interface{ Unwrap() []error }
		if errors.As(err, &joined) {
			for _, e := range joined.Unwrap() {
				fmt.Fprintln(stderr, e)
			}
		} else {
			fmt.Fprintln(stderr, err)
		}
		fmt.Fprintln(stderr, "i18n: file is not valid; nothing was accepted")
		return 1
	}
	return 0
}

// readLimited reads a translator's file, refusing anything implausibly big.
func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", name, err)
	}
	defer f.Close()
	const limit = 4 << 20
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, limit)
	}
	return data, nil
}
