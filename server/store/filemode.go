package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
)

// privateDir keeps the data directory readable by the server's user alone:
// a pre-made one that others can read or enter is made 0700, with a warning.
func privateDir(dir string, log *slog.Logger) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("store: data directory: %w", err)
	}
	if mode := st.Mode().Perm(); mode&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("store: data directory %s is %#o and cannot be made 0700: %w", dir, mode, err)
		}
		log.Warn("data directory was readable by others; changed to 0700", slog.String("dir", dir), slog.String("was", fmt.Sprintf("%#o", mode)))
	}
	return nil
}

// privateFiles creates the database 0600 before SQLite opens it (SQLite
// gives its -wal and -shm files the database file's mode) and tightens
// existing files others could read, with a warning.
func privateFiles(db string, log *slog.Logger) error {
	f, err := os.OpenFile(db, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: creating %s: %w", db, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("store: creating %s: %w", db, err)
	}
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if mode := st.Mode().Perm(); mode&0o077 != 0 {
			if err := os.Chmod(p, 0o600); err != nil {
				return fmt.Errorf("store: %s is %#o and cannot be made 0600: %w", p, mode, err)
			}
			log.Warn("database file was readable by others; changed to 0600", slog.String("file", p), slog.String("was", fmt.Sprintf("%#o", mode)))
		}
	}
	return nil
}
