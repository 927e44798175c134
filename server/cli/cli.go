// Package cli implements the `haven` command line: `serve` (the default) and
// the tools for clinicians, translators, researchers and operators.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/havenvr/haven/server/app"
)

// Command is one `haven` subcommand.
type Command struct {
	Summary string
	Run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() map[string]Command {
	return map[string]Command{
		"serve":        {"run the server (default)", Serve},
		"version":      {"print the version", Version},
		"backup":       {"write a consistent online copy of the database", Backup},
		"bench":        {"measure the real server over loopback (live, ingest, groups, crash)", Bench},
		"biosignals":   {"HRV, EDA and Bluetooth heart-rate tools for clinicians and researchers", Biosignals},
		"environments": {"list and validate environment templates and compositions", Environments},
		"protocols":    {"validate protocols and simulate the engine on an event log", Protocols},
		"i18n":         {"translation coverage, export and import", I18n},
	}
}

// Main runs the command line and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" && args[0] != "-help" {
		return Serve(ctx, args, stdout, stderr)
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		usage(stdout, cmds)
		return 0
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "haven: unknown command %q\n\n", name)
		usage(stderr, cmds)
		return 2
	}
	if askedHelp(args[1:]) {
		// Help was asked for: usage is the output, so it goes to stdout
		// (flag sets print theirs to the error writer), and the exit is 0.
		stderr = stdout
	}
	return cmd.Run(ctx, args[1:], stdout, stderr)
}

// askedHelp reports whether args ask for help (-h, -help or --help before a
// "--", or "help" as the subcommand).
func askedHelp(args []string) bool {
	for i, a := range args {
		switch {
		case a == "--":
			return false
		case a == "-h" || a == "-help" || a == "--help" || i == 0 && a == "help":
			return true
		}
	}
	return false
}

// helpExit is the exit code after a flag parse error: 0 when the error is
// the request for help (the flag set has printed the usage), 2 otherwise.
func helpExit(err error) int {
	return boolExit(!errors.Is(err, flag.ErrHelp), 2)
}

func usage(w io.Writer, cmds map[string]Command) {
	fmt.Fprintf(w, "haven %s — self-hostable orchestrator for VR exposure therapy\n\nUsage: haven [command] [flags]\n\nCommands:\n", app.Version)
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, cmds[n].Summary)
	}
	fmt.Fprint(w, `
Run 'haven COMMAND -h' for a command's flags.

Examples:
  haven serve --demo --data ./data                 start with demo content on http://127.0.0.1:8080
  haven serve --addr 0.0.0.0:8443 --tls-self-signed  serve headsets on the clinic LAN over HTTPS
  haven backup ./haven-backup.db --data ./data     consistent copy while the server runs
`)
}

// Version prints the version.
func Version(_ context.Context, args []string, stdout, _ io.Writer) int {
	if askedHelp(args) {
		fmt.Fprintln(stdout, "Usage: haven version\n\nPrints the version.")
		return 0
	}
	fmt.Fprintf(stdout, "haven %s\n", app.Version)
	return 0
}
