package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestHelpExitsZero: asking for help is not a usage error — every command
// and subcommand prints its usage on stdout and exits 0 (POSIX utility
// conventions; GNU coding standards §4.8 "--help").
func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	var cases [][]string
	for name := range commands() {
		cases = append(cases, []string{name, "-h"}, []string{name, "--help"})
	}
	for _, sub := range [][]string{
		{"biosignals", "hrv"}, {"biosignals", "eda"}, {"biosignals", "hrs"},
		{"protocols", "list"}, {"protocols", "validate"}, {"protocols", "simulate"},
		{"environments", "list"}, {"environments", "validate"},
		{"i18n", "coverage"}, {"i18n", "export"}, {"i18n", "import"},
		{"bench", "ingest"}, {"bench", "groups"}, {"bench", "live"}, {"bench", "crash"},
	} {
		cases = append(cases, append(sub, "-h"), append(sub, "--help"))
	}
	cases = append(cases, []string{"-h"}, []string{"help"}, []string{"biosignals", "hrv", "FILE", "-h"})
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(context.Background(), args, &out, &errb)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errb.String())
			}
			if !strings.Contains(strings.ToLower(out.String()), "usage") {
				t.Fatalf("stdout has no usage: %q (stderr %q)", out.String(), errb.String())
			}
		})
	}
}
