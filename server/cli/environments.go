package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/havenvr/haven/environments"
)

const environmentsUsage = `Usage:
  haven environments list [--json]
      List the built-in scene templates: id, kind, purpose and parameters.
  haven environments validate FILE...
      Validate templates (documents with a "kind") or compositions (a template
      id + params + layers). Prints every error with the field it names and
      exits 1 if any file is invalid.

Examples:
  haven environments list --json
  haven environments validate my-balcony.json clinic-templates/*.json
`

// Environments implements `haven environments`.
func Environments(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || askedHelp(args) {
		fmt.Fprint(stdout, environmentsUsage)
		return boolExit(len(args) == 0, 2)
	}
	cat, err := environments.Builtin()
	if err != nil {
		fmt.Fprintf(stderr, "haven environments: %v\n", err)
		return 1
	}
	switch args[0] {
	case "list":
		return envList(cat, args[1:], stdout, stderr)
	case "validate":
		return envValidate(ctx, cat, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "haven environments: unknown subcommand %q\n\n%s", args[0], environmentsUsage)
	return 2
}

func boolExit(cond bool, code int) int {
	if cond {
		return code
	}
	return 0
}

func envFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("haven environments "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, environmentsUsage) }
	return fs
}

func envList(cat *environments.Catalog, args []string, stdout, stderr io.Writer) int {
	fs := envFlags("list", stderr)
	asJSON := fs.Bool("json", false, "print the templates as a JSON array")
	if err := fs.Parse(args); err != nil {
		return boolExit(!errors.Is(err, flag.ErrHelp), 2)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(cat.List()); err != nil {
			fmt.Fprintf(stderr, "haven environments list: %v\n", err)
			return 1
		}
		return 0
	}
	for _, t := range cat.List() {
		fmt.Fprintf(stdout, "%-16s %-9s %-15s", t.ID, t.Kind, t.Purpose)
		for _, p := range t.Params {
			fmt.Fprintf(stdout, " %s(%s)", p.Name, p.Type)
		}
		fmt.Fprintln(stdout)
	}
	return 0
}

func envValidate(ctx context.Context, cat *environments.Catalog, args []string, stdout, stderr io.Writer) int {
	fs := envFlags("validate", stderr)
	if err := fs.Parse(args); err != nil {
		return boolExit(!errors.Is(err, flag.ErrHelp), 2)
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, environmentsUsage)
		return 2
	}
	code := 0
	for _, name := range fs.Args() {
		if ctx.Err() != nil {
			return 1
		}
		if err := envValidateFile(cat, name); err != nil {
			code = 1
			printFieldErrors(stderr, name, err)
			continue
		}
		fmt.Fprintf(stdout, "%s: ok\n", name)
	}
	return code
}

func envValidateFile(cat *environments.Catalog, name string) error {
	data, err := readCapped(name, environments.MaxTemplateBytes)
	if err != nil {
		return err
	}
	var peek map[string]json.RawMessage
	if err := json.Unmarshal(data, &peek); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	if _, isTemplate := peek["kind"]; isTemplate {
		_, err := environments.DecodeTemplate(data)
		return err
	}
	c, err := environments.DecodeComposition(data)
	if err != nil {
		return err
	}
	_, err = c.Validate(cat)
	return err
}

// readCapped reads a file, refusing one larger than limit (+1 so the decoder
// still reports the size error with the field "$").
func readCapped(name string, limit int) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, int64(limit)+1))
}

// printFieldErrors prints one line per field error, or the error itself.
func printFieldErrors(w io.Writer, name string, err error) {
	var v environments.ValidationErrors
	if errors.As(err, &v) {
		for _, e := range v {
			fmt.Fprintf(w, "%s: %s: %s\n", name, e.Field, e.Msg)
		}
		return
	}
	fmt.Fprintf(w, "%s: %v\n", name, err)
}
