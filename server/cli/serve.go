package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/havenvr/haven/server/app"
	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/demo"
	"github.com/havenvr/haven/server/gctune"
	"github.com/havenvr/haven/server/store"
)

// Serve runs the server until SIGINT or SIGTERM, then shuts down gracefully.
func Serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := config.Parse(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "haven:", err)
		return 2
	}
	log := newLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	log.Info("garbage collector", slog.String("policy", gctune.Apply(cfg.GC, os.Getenv).String()))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, log, stdout); err != nil {
		log.Error("server stopped", slog.Any("err", err))
		return 1
	}
	return 0
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	ln, err := a.Listen()
	if err != nil {
		return err
	}
	base := a.PublicURL() // --public-url, else the listen address
	if a.Fingerprint != "" {
		fmt.Fprintf(stdout, "TLS: self-signed certificate, SHA-256 fingerprint %s\n", a.Fingerprint)
	}
	if cfg.Demo {
		creds, err := demo.Seed(ctx, a.Store, a.Auth)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Demo clinic ready. Sign in at %s/\n  therapist: %s  password: %s\n  moderator: %s  password: %s\n  admin:     %s  password: %s\n  support room: %s/room/ with code %s (opens when the moderator joins)\n",
			base, creds.Therapist.Email, creds.Therapist.Password, creds.Moderator.Email, creds.Moderator.Password,
			creds.Admin.Email, creds.Admin.Password, base, demo.RoomCode)
	}
	link, err := a.Auth.Bootstrap(ctx, "My Clinic")
	if err != nil {
		return err
	}
	if link != "" {
		fmt.Fprintf(stdout, "First start: create the clinic admin account with this one-time link (valid 72 h):\n  %s%s\n", base, link)
	}
	log.Info("haven listening", slog.String("url", base), slog.String("version", app.Version))
	return a.Serve(ctx, ln)
}

func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(strings.ToUpper(level)))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Backup writes a consistent online copy of the database.
func Backup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("haven backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./data", "data directory holding haven.db")
	db := fs.String("db", "", "database file instead of DIR/haven.db")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: haven backup [--data DIR] FILE\n\nWrites a consistent copy of the live database (SQLite VACUUM INTO); safe while the server runs.\nRestore: stop the server, replace DIR/haven.db with FILE (remove haven.db-wal and haven.db-shm), start.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(reorder(args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	st, err := store.Open(ctx, store.Options{DataDir: *data, DSN: *db})
	if err != nil {
		fmt.Fprintln(stderr, "haven backup:", err)
		return 1
	}
	defer st.Close()
	if err := st.Backup(ctx, fs.Arg(0)); err != nil {
		fmt.Fprintln(stderr, "haven backup:", err)
		return 1
	}
	fmt.Fprintf(stdout, "backup written to %s\n", fs.Arg(0))
	return 0
}

// reorder moves flags before positional arguments so "FILE --data DIR" works too.
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") && !isBoolFlag(a) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func isBoolFlag(name string) bool {
	n := strings.TrimLeft(name, "-")
	return n == "json" || n == "h" || n == "help"
}
