package scenario

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/havenvr/haven/server/bench"
	"github.com/havenvr/haven/server/bench/fleet"
	"github.com/havenvr/haven/server/rtc"
)

// connect dials every patient (reconnecting, keeping a record of acks).
func (h *harness) connect(ctx context.Context, creds []sessionCreds) ([]*fleet.Patient, error) {
	api, hc := rtc.NewClientAPI(), fleet.NewHTTP()
	out := make([]*fleet.Patient, len(creds))
	var mu sync.Mutex
	err := fleet.Parallel(ctx, len(creds), 16, nil, func(ctx context.Context, i int) error {
		p := fleet.NewPatient(fleet.PatientConfig{BaseURL: h.base(), SessionID: creds[i].ID, Token: creds[i].Token,
			API: api, HTTP: hc, Seed: h.o.Seed + uint64(i) + 1, Reconnect: true, KeepAcked: true,
			OnReconnect: h.reconnected})
		mu.Lock()
		out[i] = p
		mu.Unlock()
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return p.Connect(cctx)
	})
	return out, err
}

func (h *harness) reconnected(d time.Duration) {
	h.reconnects.Add(d)
	if k := h.lastKill.Load(); k != 0 {
		h.outages.Add(time.Since(time.Unix(0, k)))
	}
}

// chaos streams, kills and restarts the child K times, waits for every
// patient to come back each time, streams a tail, then drains acks.
func (h *harness) chaos(ctx context.Context, patients []*fleet.Patient, res *CrashResult) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, p := range patients {
		wg.Add(1)
		go func() { defer wg.Done(); p.Run(runCtx) }()
	}
	defer wg.Wait()
	for k := 1; k <= h.o.Kills; k++ {
		gap := h.o.MinGap + time.Duration(h.rng.Int64N(int64(h.o.MaxGap-h.o.MinGap)+1))
		if err := sleep(ctx, gap); err != nil {
			return err
		}
		h.lastKill.Store(time.Now().UnixNano())
		h.kill()
		res.Kills++
		fmt.Fprintf(h.o.Progress, "crash: kill %d/%d after %s; restarting\n", k, h.o.Kills, gap.Round(time.Millisecond))
		if err := h.start(ctx); err != nil {
			return err
		}
		if err := waitReconnected(ctx, patients, int64(k), 60*time.Second); err != nil {
			return err
		}
		fmt.Fprintf(h.o.Progress, "crash: all %d patients reconnected after kill %d\n", len(patients), k)
	}
	if err := sleep(ctx, h.o.Tail); err != nil {
		return err
	}
	cancel()
	wg.Wait()
	drainPatients(ctx, patients, 20*time.Second)
	for _, p := range patients {
		res.NeverAcked += int64(p.UnackedSamples())
		res.Resent += p.C.Resent.Load()
		res.Reconnects += p.C.Reconnects.Load()
		res.ServerErrors += p.C.ServerErrors.Load()
		for code, n := range p.ErrorCodes() {
			if res.ServerErrorCodes == nil {
				res.ServerErrorCodes = map[string]int{}
			}
			res.ServerErrorCodes[code] += n
		}
	}
	r, out, rs := h.reconnects.Summary(), h.outages.Summary(), h.restart.Summary()
	res.ReconnectP50ms, res.ReconnectP99ms = bench.Round(r.P50/1e3, 1), bench.Round(r.P99/1e3, 1)
	res.OutageP99ms, res.RestartP99ms = bench.Round(out.P99/1e3, 1), bench.Round(rs.P99/1e3, 1)
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func waitReconnected(ctx context.Context, patients []*fleet.Patient, k int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		behind := 0
		for _, p := range patients {
			if p.C.Reconnects.Load() < k {
				behind++
			}
		}
		if behind == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("scenario: %d patients did not reconnect within %s after kill %d", behind, timeout, k)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

func drainPatients(ctx context.Context, patients []*fleet.Patient, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		left := 0
		for _, p := range patients {
			left += p.Unacked()
		}
		if left == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type chunkKey struct {
	session, stream string
	seq             uint64
}

type contentKey struct {
	session, stream string
	t0              int64
}

// verify opens the SQLite file read-only and compares it with every
// acknowledged batch: an acked batch is persisted when a row has its
// session, stream, seq, first-sample time and sample count; a duplicate is
// a second row with the same session, stream and first-sample time (the
// same samples stored twice, whatever seq they came under).
func verify(ctx context.Context, dbPath string, acked map[string][]fleet.Batch, res *CrashResult) error {
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return fmt.Errorf("scenario: opening %s read-only: %w", dbPath, err)
	}
	defer db.Close()
	return verifyDB(ctx, db, acked, res)
}

// verifyDB is verify on an open database (SQLite or PostgreSQL).
func verifyDB(ctx context.Context, db *sql.DB, acked map[string][]fleet.Batch, res *CrashResult) error {
	rows, err := db.QueryContext(ctx, "SELECT session_id, stream, seq, t0, n FROM sample_chunks")
	if err != nil {
		return fmt.Errorf("scenario: reading sample chunks: %w", err)
	}
	defer rows.Close()
	stored := map[chunkKey]fleet.Batch{}
	content := map[contentKey]int{}
	for rows.Next() {
		var b fleet.Batch
		var session string
		if err := rows.Scan(&session, &b.Stream, &b.Seq, &b.T0, &b.N); err != nil {
			return fmt.Errorf("scenario: scanning sample chunk: %w", err)
		}
		k := chunkKey{session, b.Stream, b.Seq}
		if prev, ok := stored[k]; ok {
			res.Duplicates += int64(prev.N)
		}
		stored[k] = b
		ck := contentKey{session, b.Stream, b.T0}
		if content[ck] > 0 {
			res.Duplicates += int64(b.N)
		}
		content[ck]++
		res.Persisted += int64(b.N)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for session, batches := range acked {
		for _, b := range batches {
			res.AckedBatches++
			res.Acked += int64(b.N)
			got, ok := stored[chunkKey{session, b.Stream, b.Seq}]
			if ok && got.T0 == b.T0 && got.N == b.N {
				res.PersistedOfAcked += int64(b.N)
			} else {
				res.LostBatches++
			}
		}
	}
	res.Lost = res.Acked - res.PersistedOfAcked
	return nil
}
