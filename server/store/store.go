// Package store opens Haven's database through GORM — the embedded SQLite
// file by default, PostgreSQL when the DSN is a postgres:// URL (several
// nodes sharing one database) — applies versioned migrations and holds the
// persistent models. Every query is written to run on both dialects.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Options says where the database lives and how durable commits are.
type Options struct {
	// DataDir holds haven.db when DSN is empty.
	DataDir string
	// DSN names another SQLite database file or URI, or a PostgreSQL
	// database as a postgres:// (postgresql://) URL; empty means
	// DataDir/haven.db.
	DSN string
	// Synchronous is SQLite's synchronous pragma: "NORMAL" (default; WAL survives
	// a process crash, the last commits may be lost on power loss) or "FULL"
	// (survives power loss too, at a measured cost: see BENCHMARKS.md).
	Synchronous string
	Logger      *slog.Logger
}

// Store is the open database.
type Store struct {
	DB     *gorm.DB
	Path   string
	logger *slog.Logger
	// postgres is set when the database is PostgreSQL rather than SQLite.
	postgres bool
}

// IsPostgres reports whether dsn names a PostgreSQL database (a postgres://
// or postgresql:// URL) rather than an SQLite file.
func IsPostgres(dsn string) bool {
	d := strings.ToLower(dsn)
	return strings.HasPrefix(d, "postgres://") || strings.HasPrefix(d, "postgresql://")
}

// Postgres reports whether the store runs on PostgreSQL.
func (s *Store) Postgres() bool { return s.postgres }

// ErrBackupPostgres is Backup's answer on PostgreSQL, whose own tools
// (pg_dump, base backups) copy a shared database consistently.
var ErrBackupPostgres = errors.New("store: haven backup copies the SQLite file only; back up PostgreSQL with pg_dump or pg_basebackup")

// ErrNotFound is returned when a row does not exist (or belongs to another tenant).
var ErrNotFound = errors.New("store: not found")

// Open opens (creating if needed) the database and runs pending migrations.
func Open(ctx context.Context, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sync := strings.ToUpper(opts.Synchronous)
	if sync == "" {
		sync = "NORMAL"
	}
	if sync != "NORMAL" && sync != "FULL" {
		return nil, fmt.Errorf("store: synchronous must be NORMAL or FULL, got %q", opts.Synchronous)
	}
	if IsPostgres(opts.DSN) {
		return openPostgres(ctx, opts.DSN, log)
	}
	path := opts.DSN
	if path == "" {
		if opts.DataDir == "" {
			return nil, errors.New("store: a data directory or DSN is required")
		}
		if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("store: creating data directory: %w", err)
		}
		path = filepath.Join(opts.DataDir, "haven.db")
		if err := privateDir(opts.DataDir, log); err != nil {
			return nil, err
		}
	}
	if !strings.Contains(path, "?") && !strings.HasPrefix(path, "file:") && path != ":memory:" {
		if err := privateFiles(path, log); err != nil {
			return nil, err
		}
	}
	// Pragmas in the DSN apply to every pooled connection, not just the first.
	// secure_delete overwrites deleted rows with zeros: purged support-room
	// text must not survive in free space of the database file.
	dsn := fmt.Sprintf("file:%s?_journal_mode=WAL&_busy_timeout=10000&_foreign_keys=on&_synchronous=%s&_secure_delete=on&_txlock=immediate", path, sync)
	db, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		// No prepared-statement cache: on the single connection below,
		// gorm's cache deadlocks (a reader holds its lock waiting for a
		// statement being prepared, the preparer waits for the connection,
		// the transaction holding the connection waits for the lock) and
		// the whole server stops answering. TestTransactionsBesideNewQueriesNeverDeadlock.
		PrepareStmt: false,
	})
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", path, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// SQLite has one writer; a single connection serialises writes without
	// SQLITE_BUSY storms and keeps reads consistent with the last commit.
	sqlDB.SetMaxOpenConns(1)
	s := &Store{DB: db, Path: path, logger: log}
	if err := s.checkPragmas(ctx, sync); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// checkPragmas reads the settings back: a DSN typo must not silently leave
// the database in rollback-journal mode.
func (s *Store) checkPragmas(ctx context.Context, wantSync string) error {
	var journal string
	var syncMode, fk, secureDelete int
	db := s.DB.WithContext(ctx)
	if err := db.Raw("PRAGMA journal_mode").Scan(&journal).Error; err != nil {
		return fmt.Errorf("store: reading journal_mode: %w", err)
	}
	if err := db.Raw("PRAGMA synchronous").Scan(&syncMode).Error; err != nil {
		return fmt.Errorf("store: reading synchronous: %w", err)
	}
	if err := db.Raw("PRAGMA foreign_keys").Scan(&fk).Error; err != nil {
		return fmt.Errorf("store: reading foreign_keys: %w", err)
	}
	if err := db.Raw("PRAGMA secure_delete").Scan(&secureDelete).Error; err != nil {
		return fmt.Errorf("store: reading secure_delete: %w", err)
	}
	names := map[int]string{0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
	s.logger.Info("database opened", slog.String("path", s.Path), slog.String("journal_mode", journal),
		slog.String("synchronous", names[syncMode]), slog.Bool("foreign_keys", fk == 1), slog.Bool("secure_delete", secureDelete == 1))
	if !strings.EqualFold(journal, "wal") {
		return fmt.Errorf("store: journal_mode is %q, want wal", journal)
	}
	if names[syncMode] != wantSync {
		return fmt.Errorf("store: synchronous is %s, want %s", names[syncMode], wantSync)
	}
	if fk != 1 {
		return errors.New("store: foreign keys are off")
	}
	if secureDelete != 1 {
		return fmt.Errorf("store: secure_delete is %d, want 1 (on)", secureDelete)
	}
	return nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close closes the database, on SQLite after a WAL checkpoint so the main
// file is self-contained.
func (s *Store) Close() error {
	if !s.postgres {
		_ = s.DB.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error
	}
	sqlDB, err := s.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Backup writes a consistent online copy of the database to path with VACUUM INTO.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.postgres {
		return ErrBackupPostgres
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("store: backup target %s already exists", path)
	}
	if err := s.DB.WithContext(ctx).Exec("VACUUM INTO ?", path).Error; err != nil {
		return fmt.Errorf("store: backup to %s: %w", path, err)
	}
	// A backup holds the same clinical data as the database.
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("store: backup to %s: %w", path, err)
	}
	return nil
}

// openPostgres opens a PostgreSQL database shared by several Haven nodes and
// runs pending migrations. Migrations take an advisory lock so nodes that
// start together apply each step once.
func openPostgres(ctx context.Context, dsn string, log *slog.Logger) (*Store, error) {
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		TranslateError:         true,
	})
	if err != nil {
		return nil, fmt.Errorf("store: opening PostgreSQL: %w", redactDSN(err, dsn))
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// Several nodes share the server's max_connections (100 by default).
	sqlDB.SetMaxOpenConns(16)
	sqlDB.SetMaxIdleConns(4)
	s := &Store{DB: db, Path: redactURL(dsn), logger: log, postgres: true}
	if err := s.Ping(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("store: PostgreSQL at %s does not answer: %w", s.Path, redactDSN(err, dsn))
	}
	var version string
	_ = db.WithContext(ctx).Raw("SHOW server_version").Scan(&version).Error
	log.Info("database opened", slog.String("dialect", "postgres"), slog.String("url", s.Path), slog.String("server_version", version))
	if err := s.migrate(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// redactURL drops the password from a postgres:// URL for logs and errors.
func redactURL(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable)"
	}
	return u.Redacted()
}

// redactDSN keeps a driver error from echoing the password in dsn.
func redactDSN(err error, dsn string) error {
	u, perr := url.Parse(dsn)
	if perr != nil || u.User == nil {
		return err
	}
	if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(err.Error(), pw) {
		return errors.New(strings.ReplaceAll(err.Error(), pw, "xxxxx"))
	}
	return err
}
