package ingest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/havenvr/haven/server/biosignal"
	"github.com/havenvr/haven/server/store"
)

// Table is the table of store.SampleChunk (GORM's naming).
const Table = "sample_chunks"

// ErrClosed is returned by Submit after Close.
var ErrClosed = errors.New("ingest: writer closed")

// Chunk is one validated batch of one session, ready to store.
type Chunk struct {
	SessionID string
	Stream    biosignal.Stream // the batch's stream (ble_hrs batches keep that name)
	Seq       uint64
	Samples   []biosignal.Sample
	Artifacts int
	Source    biosignal.Source // provenance; an empty kind is stored as unknown
}

// FromBatch expands a validated batch, flags artifacts with the session's
// checker (continuity across batches) and returns the chunk to store.
func FromBatch(sessionID string, b *biosignal.Batch, check *biosignal.Checker) (Chunk, error) {
	s, err := b.Expand()
	if err != nil {
		return Chunk{}, err
	}
	n := check.Flag(s)
	return Chunk{SessionID: sessionID, Stream: b.Stream, Seq: b.Seq, Samples: s, Artifacts: n, Source: b.Source}, nil
}

// Row encodes a chunk as its database row.
func (c Chunk) Row() (store.SampleChunk, error) {
	data, err := Encode(make([]byte, 0, 8+12*len(c.Samples)), c.Samples)
	if err != nil {
		return store.SampleChunk{}, err
	}
	src := c.Source.Normal()
	r := store.SampleChunk{SessionID: c.SessionID, Stream: string(c.Stream), Seq: c.Seq, N: len(c.Samples), Artifacts: c.Artifacts, Data: data,
		SourceKind: src.Kind, SourceName: src.Name, SourceID: src.ID}
	if len(c.Samples) > 0 {
		r.T0, r.T1 = c.Samples[0].T, c.Samples[len(c.Samples)-1].T
	}
	return r, nil
}

// Ack reports the fate of a chunk, delivered only after its transaction
// committed (or failed: Err set, the client keeps the batch and resends).
type Ack struct {
	SessionID string
	Stream    biosignal.Stream
	Seq       uint64
	Duplicate bool // already stored earlier: acknowledged, no second row
	Err       error
	// More says that a later chunk of the same session was committed in
	// the same transaction and is acknowledged right after this one: a
	// receiver that answers per commit group waits for it (one signals.ack
	// for the group instead of one per batch). The zero value is safe.
	More bool
}

// Options tunes group commit. Zero values take defaults.
type Options struct {
	MaxDelay      time.Duration // wait for more batches after the first (default 1 ms)
	MaxRows       int           // rows per transaction (default 2,000)
	Queue         int           // pending batches before Submit blocks (default 8,192)
	CommitTimeout time.Duration // per transaction (default 30 s)
	Logger        *slog.Logger
}

type item struct {
	row  store.SampleChunk
	done func(Ack)
}

// Writer group-commits chunks from many sessions. Safe for concurrent use.
type Writer struct {
	db   *sql.DB
	opts Options
	// dollar: PostgreSQL's $n placeholders instead of SQLite's ?.
	dollar bool
	in     chan item
	mu     sync.RWMutex
	close  bool
	done   chan struct{}
	// Prepared INSERTs by row count (loop goroutine only).
	plain, returning map[int]*sql.Stmt
	txs              atomic.Int64
}

// Transactions is the number of transactions committed so far.
func (w *Writer) Transactions() int { return int(w.txs.Load()) }

// NewWriter starts a writer on the store's database.
func NewWriter(st *store.Store, opts Options) (*Writer, error) {
	db, err := st.DB.DB()
	if err != nil {
		return nil, fmt.Errorf("ingest: getting sql.DB: %w", err)
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = time.Millisecond
	}
	if opts.MaxRows <= 0 {
		opts.MaxRows = 2000
	}
	if opts.Queue <= 0 {
		opts.Queue = 8192
	}
	if opts.CommitTimeout <= 0 {
		opts.CommitTimeout = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Writer{db: db, dollar: st.Postgres(), opts: opts, in: make(chan item, opts.Queue), done: make(chan struct{}),
		plain: map[int]*sql.Stmt{}, returning: map[int]*sql.Stmt{}}
	go w.loop()
	return w, nil
}

// Submit queues a chunk; done is called exactly once, from the writer's
// goroutine, after the commit (keep it short: hand off, don't block). Submit
// blocks while the queue is full (back-pressure) until ctx ends.
func (w *Writer) Submit(ctx context.Context, c Chunk, done func(Ack)) error {
	row, err := c.Row()
	if err != nil {
		return err
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.close {
		return ErrClosed
	}
	select {
	case w.in <- item{row: row, done: done}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ingest: queue full: %w", ctx.Err())
	}
}

// TrySubmit is Submit without waiting: queued is false when the queue is
// full (the caller then waits with Submit and a deadline). The live rooms
// submit every batch this way first, so a batch needs no deadline timer.
func (w *Writer) TrySubmit(c Chunk, done func(Ack)) (queued bool, err error) {
	row, err := c.Row()
	if err != nil {
		return false, err
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.close {
		return false, ErrClosed
	}
	select {
	case w.in <- item{row: row, done: done}:
		return true, nil
	default:
		return false, nil
	}
}

// Write stores a chunk and waits for its acknowledgement.
func (w *Writer) Write(ctx context.Context, c Chunk) (Ack, error) {
	ch := make(chan Ack, 1)
	if err := w.Submit(ctx, c, func(a Ack) { ch <- a }); err != nil {
		return Ack{}, err
	}
	select {
	case a := <-ch:
		return a, a.Err
	case <-ctx.Done():
		return Ack{}, fmt.Errorf("ingest: waiting for commit: %w", ctx.Err())
	}
}

// Close stops accepting chunks, commits everything queued (acknowledging it)
// and waits for the writer to finish or ctx to end.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	if !w.close {
		w.close = true
		close(w.in)
	}
	w.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ingest: closing writer: %w", ctx.Err())
	}
}

func (w *Writer) loop() {
	defer close(w.done)
	defer func() {
		for n := range w.plain {
			_, _ = w.plain[n].Close(), w.returning[n].Close()
		}
	}()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	group := make([]item, 0, w.opts.MaxRows)
	for {
		it, ok := <-w.in
		if !ok {
			return
		}
		group = append(group[:0], it)
		timer.Reset(w.opts.MaxDelay)
		open := w.collect(&group, timer)
		w.flush(group)
		if !open {
			return
		}
	}
}

// collect adds queued items until MaxRows or the delay expires; it reports
// false when the input channel closed (the group is still flushed).
func (w *Writer) collect(group *[]item, timer *time.Timer) bool {
	defer timer.Stop()
	for len(*group) < w.opts.MaxRows {
		select {
		case it, ok := <-w.in:
			if !ok {
				return false
			}
			*group = append(*group, it)
		case <-timer.C:
			return true
		}
	}
	return true
}

type key struct {
	session, stream string
	seq             uint64
}

// flush commits the group in one transaction, then acknowledges each item.
func (w *Writer) flush(group []item) {
	ctx, cancel := context.WithTimeout(context.Background(), w.opts.CommitTimeout)
	defer cancel()
	inserted, err := w.commit(ctx, group)
	if err != nil {
		w.opts.Logger.Error("ingest: commit failed", slog.Int("batches", len(group)), slog.Any("err", err))
	}
	// The last chunk of each session in the group is the one without More.
	more := make([]bool, len(group))
	seen := make(map[string]struct{}, len(group))
	for i := len(group) - 1; i >= 0; i-- {
		_, more[i] = seen[group[i].row.SessionID]
		seen[group[i].row.SessionID] = struct{}{}
	}
	for i, it := range group {
		a := Ack{SessionID: it.row.SessionID, Stream: biosignal.Stream(it.row.Stream), Seq: it.row.Seq, Err: err, More: more[i]}
		if err == nil {
			a.Duplicate = !inserted[i]
		}
		if it.done != nil {
			it.done(a)
		}
	}
}

// RowsPerStatement is the most rows one INSERT carries: 11 columns × 500
// stays under SQLite's 32,766 variables.
const RowsPerStatement = 500

// commit inserts the group in one transaction and reports which items
// inserted a row. Fast path: a plain INSERT … ON CONFLICT DO NOTHING whose
// affected-row count equals the part size means every row is new (the usual
// case). Otherwise the part is rolled back to a savepoint and redone with
// RETURNING to learn exactly which keys were new.
func (w *Writer) commit(ctx context.Context, group []item) ([]bool, error) {
	// Prepare before BEGIN: the pool has one connection, which the
	// transaction then holds.
	for lo := 0; lo < len(group); lo += RowsPerStatement {
		if err := w.prepare(ctx, min(RowsPerStatement, len(group)-lo)); err != nil {
			return nil, err
		}
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("ingest: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	inserted := make([]bool, len(group))
	args := make([]any, 0, 11*RowsPerStatement)
	for lo := 0; lo < len(group); lo += RowsPerStatement {
		part := group[lo:min(lo+RowsPerStatement, len(group))]
		args = args[:0]
		for _, it := range part {
			r := &it.row
			args = AppendRow(args, r)
		}
		if err := w.insertPart(ctx, tx, part, args, inserted[lo:lo+len(part)]); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("ingest: commit: %w", err)
	}
	w.txs.Add(1)
	return inserted, nil
}

func (w *Writer) insertPart(ctx context.Context, tx *sql.Tx, part []item, args []any, inserted []bool) error {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT part"); err != nil {
		return fmt.Errorf("ingest: savepoint: %w", err)
	}
	res, err := tx.StmtContext(ctx, w.plain[len(part)]).ExecContext(ctx, args...)
	if err != nil {
		return fmt.Errorf("ingest: insert: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == int64(len(part)) {
		for i := range inserted {
			inserted[i] = true
		}
		_, err := tx.ExecContext(ctx, "RELEASE part")
		return err
	}
	if _, err := tx.ExecContext(ctx, "ROLLBACK TO part"); err != nil {
		return fmt.Errorf("ingest: rollback to savepoint: %w", err)
	}
	rows, err := tx.StmtContext(ctx, w.returning[len(part)]).QueryContext(ctx, args...)
	if err != nil {
		return fmt.Errorf("ingest: insert: %w", err)
	}
	fresh := map[key]bool{}
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.session, &k.stream, &k.seq); err != nil {
			rows.Close()
			return fmt.Errorf("ingest: reading inserted keys: %w", err)
		}
		fresh[k] = true
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("ingest: insert: %w", err)
	}
	// The first item with a new key owns the row; later ones with the same
	// key, and keys stored before, are duplicates.
	for i, it := range part {
		k := key{it.row.SessionID, it.row.Stream, it.row.Seq}
		inserted[i] = fresh[k]
		delete(fresh, k)
	}
	_, err = tx.ExecContext(ctx, "RELEASE part")
	return err
}

func (w *Writer) prepare(ctx context.Context, n int) error {
	if _, ok := w.plain[n]; ok {
		return nil
	}
	base := insertSQL(Table, n, w.dollar) + " ON CONFLICT(session_id, stream, seq) DO NOTHING"
	p, err := w.db.PrepareContext(ctx, base)
	if err != nil {
		return fmt.Errorf("ingest: preparing insert of %d rows: %w", n, err)
	}
	r, err := w.db.PrepareContext(ctx, base+" RETURNING session_id, stream, seq")
	if err != nil {
		_ = p.Close()
		return fmt.Errorf("ingest: preparing insert of %d rows: %w", n, err)
	}
	w.plain[n], w.returning[n] = p, r
	return nil
}

// InsertSQL is a plain multi-row INSERT of n rows into table, columns in
// AppendRow's order, with SQLite's ? placeholders.
func InsertSQL(table string, n int) string { return insertSQL(table, n, false) }

// insertSQL is a multi-row INSERT of n rows with ? placeholders, or with
// dollar PostgreSQL's numbered $1…$N (database/sql passes the text as is).
func insertSQL(table string, n int, dollar bool) string {
	const cols = 11
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (session_id, stream, seq, t0, t1, n, artifacts, data, source_kind, source_name, source_id) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if !dollar {
			b.WriteString("(?,?,?,?,?,?,?,?,?,?,?)")
			continue
		}
		b.WriteByte('(')
		for j := range cols {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString("$" + strconv.Itoa(i*cols+j+1))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// appendRow appends a row's values in insertSQL's column order.
func AppendRow(args []any, r *store.SampleChunk) []any {
	kind := r.SourceKind
	if kind == "" {
		kind = biosignal.SourceUnknown
	}
	return append(args, r.SessionID, r.Stream, r.Seq, r.T0, r.T1, r.N, r.Artifacts, r.Data, kind, r.SourceName, r.SourceID)
}
