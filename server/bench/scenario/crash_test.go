package scenario

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/havenvr/haven/server/bench/fleet"
)

// TestVerifyFindsLossAndDuplicates checks the crash harness's judge on a
// hand-made store: it must report an acked batch that is missing or
// different, and the same samples stored twice, and nothing else.
func TestVerifyFindsLossAndDuplicates(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "haven.db")
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	// No unique index here, so the test can store what the real schema forbids.
	stmts := []string{
		`CREATE TABLE sample_chunks (id INTEGER PRIMARY KEY, session_id TEXT, stream TEXT, seq INTEGER, t0 INTEGER, n INTEGER)`,
		`INSERT INTO sample_chunks (session_id, stream, seq, t0, n) VALUES
			('a','eda',1,1000,8), ('a','hr',2,1000,1), ('a','eda',3,1250,8),
			('b','eda',1,1000,8), ('b','eda',2,1000,8),
			('b','rr',3,2000,1)`,
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	acked := map[string][]fleet.Batch{
		"a": {{Seq: 1, Stream: "eda", T0: 1000, N: 8}, {Seq: 2, Stream: "hr", T0: 1000, N: 1}, {Seq: 3, Stream: "eda", T0: 1250, N: 8},
			{Seq: 4, Stream: "eda", T0: 1500, N: 8}}, // missing from the store
		"b": {{Seq: 1, Stream: "eda", T0: 1000, N: 8}, {Seq: 3, Stream: "rr", T0: 2100, N: 1}}, // seq 3 stored with another t0
	}
	var r CrashResult
	if err := verify(context.Background(), path, acked, &r); err != nil {
		t.Fatal(err)
	}
	want := CrashResult{Acked: 34, PersistedOfAcked: 25, Lost: 9, AckedBatches: 6, LostBatches: 2, Duplicates: 8, Persisted: 34}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("verify = %+v\nwant     %+v", r, want)
	}
	if err := verify(context.Background(), filepath.Join(t.TempDir(), "none.db"), acked, &r); err == nil {
		t.Error("a missing database was accepted")
	}
}
