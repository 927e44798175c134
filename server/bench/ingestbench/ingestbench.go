// Package ingestbench measures durable sample ingest (`haven bench ingest`):
// the group-committing writer of package ingest against a bare batched
// insert of the same rows, each into its own fresh database.
package ingestbench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/havenvr/haven/server/biosignal"
	"github.com/havenvr/haven/server/ingest"
	"github.com/havenvr/haven/server/store"
)

// Options configures an ingest benchmark run.
type Options struct {
	Samples  int    // at least this many samples (default 1,000,000)
	Sessions int    // concurrent simulated sessions (default 100)
	Dir      string // where the two databases go (default: a temp dir, removed)
	// Synchronous is SQLite's durability for both paths: NORMAL (default) or FULL.
	Synchronous string
	Writer      ingest.Options
	Progress    io.Writer // progress lines (nil: none)
}

// Result is what `haven bench ingest --json` prints.
type Result struct {
	Samples         int     `json:"samples"`
	Batches         int     `json:"batches"`
	Sessions        int     `json:"sessions"`
	Seconds         float64 `json:"seconds"`
	SamplesPerS     float64 `json:"samples_per_s"`
	RawSeconds      float64 `json:"raw_seconds"`
	RawSamplesPerS  float64 `json:"raw_samples_per_s"`
	Ratio           float64 `json:"ratio"`
	Transactions    int     `json:"transactions"`
	DuplicatesAcked int     `json:"duplicates_acked"`
	RowsStored      int64   `json:"rows_stored"`
	BytesPerSample  float64 `json:"db_bytes_per_sample"`
	Synchronous     string  `json:"synchronous"`
}

// Workload simulates sessions until at least n samples exist: realistic
// batches (HR 1 Hz, RR per beat, EDA 32 Hz in 250 ms batches, resp), expanded
// and flagged, in per-session time order.
func Workload(n, sessions int) [][]ingest.Chunk {
	out := make([][]ingest.Chunk, sessions)
	sims := make([]*biosignal.Simulator, sessions)
	checks := make([]biosignal.Checker, sessions)
	start := int64(1_732_240_000_000)
	for i := range sims {
		sims[i] = biosignal.NewSimulator(biosignal.SimConfig{Seed: uint64(i + 1), Start: start})
		sims[i].SetIntensity(float64(i % 100))
	}
	total := 0
	for sec := int64(1); total < n; sec++ {
		for i, s := range sims {
			for _, b := range s.Advance(start + sec*1000) {
				c, err := ingest.FromBatch(fmt.Sprintf("bench-%04d", i), &b, &checks[i])
				if err != nil {
					panic(err) // the simulator only makes valid batches; tests prove it
				}
				out[i] = append(out[i], c)
				total += len(c.Samples)
			}
		}
	}
	return out
}

// Bench runs the writer and the bare insert on the same workload, each into
// its own fresh database with identical settings, and compares them.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Samples <= 0 {
		o.Samples = 1_000_000
	}
	if o.Sessions <= 0 {
		o.Sessions = 100
	}
	progress := func(f string, a ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, f+"\n", a...)
		}
	}
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "haven-bench-ingest-")
		if err != nil {
			return Result{}, fmt.Errorf("ingestbench: bench dir: %w", err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	progress("simulating %d sessions until %d samples…", o.Sessions, o.Samples)
	work := Workload(o.Samples, o.Sessions)
	if o.Synchronous == "" {
		o.Synchronous = "NORMAL"
	}
	r := Result{Sessions: o.Sessions, Synchronous: o.Synchronous}
	var rows []store.SampleChunk
	for _, s := range work {
		for _, c := range s {
			row, err := c.Row()
			if err != nil {
				return r, err
			}
			rows = append(rows, row)
			r.Samples += len(c.Samples)
		}
	}
	r.Batches = len(rows)
	progress("workload: %d samples in %d batches", r.Samples, r.Batches)

	raw, err := timeRaw(ctx, filepath.Join(dir, "raw"), o.Synchronous, rows, o.Writer)
	if err != nil {
		return r, err
	}
	r.RawSeconds = raw.Seconds()
	r.RawSamplesPerS = float64(r.Samples) / r.RawSeconds
	progress("bare batched insert: %.2f s, %.0f samples/s", r.RawSeconds, r.RawSamplesPerS)

	if err := timeWriter(ctx, filepath.Join(dir, "writer"), o.Synchronous, work, o.Writer, &r); err != nil {
		return r, err
	}
	r.SamplesPerS = float64(r.Samples) / r.Seconds
	r.Ratio = r.SamplesPerS / r.RawSamplesPerS
	progress("writer: %.2f s, %.0f samples/s, ratio %.2f", r.Seconds, r.SamplesPerS, r.Ratio)
	return r, nil
}

// timeRaw inserts rows with plain multi-row INSERTs, grouped into
// transactions of the writer's MaxRows: the floor the writer is compared to.
func timeRaw(ctx context.Context, dir, syncMode string, rows []store.SampleChunk, wo ingest.Options) (time.Duration, error) {
	st, err := store.Open(ctx, store.Options{DataDir: dir, Synchronous: syncMode})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	db, err := st.DB.DB()
	if err != nil {
		return 0, err
	}
	group := wo.MaxRows
	if group <= 0 {
		group = 2000
	}
	t := time.Now()
	for lo := 0; lo < len(rows); lo += group {
		if err := BareInsert(ctx, db, ingest.Table, rows[lo:min(lo+group, len(rows))]); err != nil {
			return 0, err
		}
	}
	return time.Since(t), nil
}

// verify (outside the clock) resends the first batch of every session, which
// must be acknowledged as a duplicate, then checks one row per batch.
func verify(ctx context.Context, st *store.Store, w *ingest.Writer, work [][]ingest.Chunk, r *Result) error {
	for _, s := range work {
		if a, err := w.Write(ctx, s[0]); err != nil || !a.Duplicate {
			return fmt.Errorf("ingestbench: resent batch not recognised as duplicate: %+v %v", a, err)
		}
		r.DuplicatesAcked++
	}
	if err := w.Close(ctx); err != nil {
		return err
	}
	if err := st.DB.WithContext(ctx).Model(&store.SampleChunk{}).Count(&r.RowsStored).Error; err != nil {
		return fmt.Errorf("ingestbench: counting rows: %w", err)
	}
	if r.RowsStored != int64(r.Batches) {
		return fmt.Errorf("ingestbench: %d rows stored for %d batches", r.RowsStored, r.Batches)
	}
	return nil
}

// BareInsert writes rows in one transaction with multi-row INSERTs of up to
// 500 rows, no conflict handling, no acknowledgements.
func BareInsert(ctx context.Context, db *sql.DB, table string, rows []store.SampleChunk) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ingestbench: bare begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	args := make([]any, 0, 11*ingest.RowsPerStatement)
	for lo := 0; lo < len(rows); lo += ingest.RowsPerStatement {
		part := rows[lo:min(lo+ingest.RowsPerStatement, len(rows))]
		args = args[:0]
		for i := range part {
			r := &part[i]
			args = ingest.AppendRow(args, r)
		}
		if _, err := tx.ExecContext(ctx, ingest.InsertSQL(table, len(part)), args...); err != nil {
			return fmt.Errorf("ingestbench: bare insert: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("ingestbench: bare commit: %w", err)
	}
	return nil
}

// timeWriter submits every session's chunks from its own goroutine (as live
// sessions do) and stops the clock when the last acknowledgement arrives.
func timeWriter(ctx context.Context, dir, syncMode string, work [][]ingest.Chunk, wo ingest.Options, r *Result) error {
	st, err := store.Open(ctx, store.Options{DataDir: dir, Synchronous: syncMode})
	if err != nil {
		return err
	}
	defer st.Close()
	w, err := ingest.NewWriter(st, wo)
	if err != nil {
		return err
	}
	var acks sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	acks.Add(r.Batches)
	done := func(a ingest.Ack) {
		if a.Err != nil || a.Duplicate {
			mu.Lock()
			if firstErr == nil {
				firstErr = fmt.Errorf("ingestbench: bench ack of %s/%s/%d: duplicate %v, %w", a.SessionID, a.Stream, a.Seq, a.Duplicate, a.Err)
			}
			mu.Unlock()
		}
		acks.Done()
	}
	t := time.Now()
	var subs sync.WaitGroup
	for _, s := range work {
		subs.Go(func() {
			for _, c := range s {
				if err := w.Submit(ctx, c, done); err != nil {
					done(ingest.Ack{Err: err})
				}
			}
		})
	}
	subs.Wait()
	acks.Wait()
	r.Seconds = time.Since(t).Seconds()
	r.Transactions = w.Transactions()
	if firstErr != nil {
		return firstErr
	}
	if err := verify(ctx, st, w, work, r); err != nil {
		return err
	}
	_ = st.DB.WithContext(ctx).Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error
	if fi, err := os.Stat(st.Path); err == nil {
		r.BytesPerSample = float64(fi.Size()) / float64(r.Samples)
	}
	return nil
}
