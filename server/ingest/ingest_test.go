package ingest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/havenvr/haven/server/biosignal"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/store/pgtest"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	opts := store.Options{DataDir: t.TempDir()}
	if pgtest.Enabled() {
		opts.DSN = pgtest.NewDatabase(t)
	}
	st, err := store.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func chunk(session string, seq uint64, t0 int64, vals ...float64) Chunk {
	c := Chunk{SessionID: session, Stream: biosignal.EDA, Seq: seq}
	for i, v := range vals {
		c.Samples = append(c.Samples, biosignal.Sample{Stream: biosignal.EDA, T: t0 + int64(i)*31, V: v})
	}
	return c
}

func TestCodecRoundTrip(t *testing.T) {
	t.Parallel()
	in := []biosignal.Sample{
		{Stream: biosignal.HR, T: 1_732_240_000_000, V: 72, Flags: biosignal.FlagNoContact},
		{Stream: biosignal.RR, T: 1_732_239_999_270, V: 332.03125},
		{Stream: biosignal.RR, T: 1_732_240_000_000, V: 65535 * 1000.0 / 1024, Flags: biosignal.FlagOutOfRange},
		{Stream: biosignal.SkinTemp, T: 0, V: math.SmallestNonzeroFloat64},
	}
	data, err := Encode(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Decode(nil, data)
	if err != nil || !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, in, out)
	}
	if _, err := Encode(nil, []biosignal.Sample{{Stream: "ecg"}}); err == nil {
		t.Error("unknown stream encoded")
	}
	for _, bad := range [][]byte{nil, {2}, {1}, {1, 5}, data[:len(data)-1], append(data, 0)} {
		if _, err := Decode(nil, bad); !errors.Is(err, errCorrupt) {
			t.Errorf("%x: err %v", bad, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := Encode(nil, []biosignal.Sample{{Stream: biosignal.HR, T: 5, V: 70}, {Stream: biosignal.EDA, T: 3, V: 1}})
	f.Add(good)
	f.Add([]byte{1, 0})
	f.Add([]byte{1, 200, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(nil, data)
		if err != nil {
			return
		}
		again, err := Encode(nil, s)
		if err != nil {
			t.Fatalf("decoded samples do not re-encode: %v", err)
		}
		if s2, _ := Decode(nil, again); len(s2) != len(s) {
			t.Fatalf("re-decode length %d vs %d", len(s2), len(s))
		}
	})
}

func TestWriterAckAfterCommitAndIdempotent(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	w, err := NewWriter(st, Options{MaxDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var mu sync.Mutex
	var acks []Ack
	var wg sync.WaitGroup
	submit := func(c Chunk) {
		wg.Add(1)
		if err := w.Submit(ctx, c, func(a Ack) {
			// The row must be visible when the ack arrives: committed.
			var n int64
			st.DB.Model(&store.SampleChunk{}).Where("session_id = ? AND seq = ?", a.SessionID, a.Seq).Count(&n)
			mu.Lock()
			if n != 1 {
				a.Err = fmt.Errorf("acked but %d rows visible", n)
			}
			acks = append(acks, a)
			mu.Unlock()
			wg.Done()
		}); err != nil {
			t.Fatal(err)
		}
	}
	submit(chunk("s1", 1, 1000, 1, 2, 3))
	submit(chunk("s1", 1, 1000, 1, 2, 3)) // same group: duplicate
	submit(chunk("s2", 1, 1000, 4))
	wg.Wait()
	a, err := w.Write(ctx, chunk("s1", 1, 1000, 1, 2, 3)) // later group: duplicate of a stored row
	if err != nil || !a.Duplicate {
		t.Fatalf("resend: %+v %v", a, err)
	}
	dups := 0
	for _, a := range acks {
		if a.Err != nil {
			t.Error(a.Err)
		}
		if a.Duplicate {
			dups++
		}
	}
	if len(acks) != 3 || dups != 1 {
		t.Errorf("acks %+v", acks)
	}
	// A group mixing a stored key and a new one: only the new one inserts.
	acks = nil
	submit(chunk("s1", 1, 1000, 1, 2, 3))
	submit(chunk("s3", 1, 1000, 5))
	wg.Wait()
	if len(acks) != 2 || !acks[0].Duplicate || acks[1].Duplicate || acks[1].Err != nil {
		t.Errorf("mixed group acks %+v", acks)
	}
	var n int64
	st.DB.Model(&store.SampleChunk{}).Count(&n)
	if n != 3 {
		t.Errorf("%d rows, want 3", n)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Submit(ctx, chunk("s3", 1, 0, 1), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("submit after close: %v", err)
	}
}

// Close commits and acknowledges everything already queued.
func TestWriterCloseFlushes(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	w, _ := NewWriter(st, Options{MaxDelay: time.Hour, MaxRows: 1 << 20})
	ctx := context.Background()
	var got sync.WaitGroup
	for i := range 100 {
		got.Add(1)
		if err := w.Submit(ctx, chunk("s", uint64(i), int64(i)*1000, 1), func(a Ack) {
			if a.Err != nil || a.Duplicate {
				t.Errorf("ack %+v", a)
			}
			got.Done()
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got.Wait()
	var n int64
	st.DB.Model(&store.SampleChunk{}).Count(&n)
	if n != 100 || w.Transactions() != 1 {
		t.Errorf("%d rows in %d transactions, want 100 in 1", n, w.Transactions())
	}
}

func TestWriterCommitErrorIsAcked(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	w, _ := NewWriter(st, Options{})
	defer w.Close(context.Background())
	if err := st.DB.Exec("DROP TABLE " + Table).Error; err != nil {
		t.Fatal(err)
	}
	a, err := w.Write(context.Background(), chunk("s", 1, 0, 1))
	if err == nil || a.Err == nil || a.Duplicate {
		t.Errorf("write to a missing table: %+v %v", a, err)
	}
}

// Live path end to end: simulator batches → FromBatch → writer → ReadSession
// returns exactly the samples, which then export.
func TestReadSessionExact(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	w, _ := NewWriter(st, Options{})
	ctx := context.Background()
	sim := biosignal.NewSimulator(biosignal.SimConfig{Seed: 9, Start: 1_732_240_000_000, BLE: true})
	var check biosignal.Checker
	var want []biosignal.Sample
	for _, b := range sim.Advance(1_732_240_000_000 + 20_000) {
		c, err := FromBatch("sess", &b, &check)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, c.Samples...)
		if _, err := w.Write(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSession(ctx, st.DB, "sess")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d samples back, want %d", len(got), len(want))
	}
	count := func(s []biosignal.Sample) map[biosignal.Sample]int {
		m := map[biosignal.Sample]int{}
		for _, x := range s {
			m[x]++
		}
		return m
	}
	if !reflect.DeepEqual(count(got), count(want)) {
		t.Error("samples changed in storage")
	}
	for i := 1; i < len(got); i++ {
		if got[i].T < got[i-1].T {
			t.Fatalf("not in time order at %d", i)
		}
	}
	only, _ := ReadSession(ctx, st.DB, "sess", biosignal.EDA)
	if len(only) == 0 || only[0].Stream != biosignal.EDA {
		t.Errorf("stream filter: %d samples", len(only))
	}
	if _, err := biosignal.ExportFHIR(biosignal.ExportMeta{SessionID: "sess"}, got); err != nil {
		t.Error(err)
	}
}

// TestWriterMoreMarksAllButTheLastOfASession: in one transaction, every
// acknowledgement but the last of its session says More, so a receiver
// answering per commit group sends one signals.ack per session per group.
func TestWriterMoreMarksAllButTheLastOfASession(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	w, _ := NewWriter(st, Options{MaxDelay: time.Hour, MaxRows: 1 << 20})
	ctx := context.Background()
	var mu sync.Mutex
	var acks []Ack
	order := []struct {
		session string
		seq     uint64
	}{{"a", 1}, {"b", 1}, {"a", 2}, {"b", 2}, {"a", 3}, {"c", 1}}
	for i, o := range order {
		if err := w.Submit(ctx, chunk(o.session, o.seq, int64(i)*1000, 1), func(a Ack) {
			mu.Lock()
			acks = append(acks, a)
			mu.Unlock()
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if w.Transactions() != 1 || len(acks) != len(order) {
		t.Fatalf("%d acks in %d transactions, want %d in 1", len(acks), w.Transactions(), len(order))
	}
	want := map[string]bool{"a/1": true, "b/1": true, "a/2": true, "b/2": false, "a/3": false, "c/1": false}
	for _, a := range acks {
		if k := fmt.Sprintf("%s/%d", a.SessionID, a.Seq); a.More != want[k] || a.Err != nil {
			t.Errorf("%s: More %v (err %v), want %v", k, a.More, a.Err, want[k])
		}
	}
}

// TestWriterTrySubmit: a chunk queued without waiting is committed and
// acknowledged like any other; after Close it is refused with ErrClosed.
func TestWriterTrySubmit(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	w, _ := NewWriter(st, Options{})
	ctx := context.Background()
	acked := make(chan Ack, 1)
	queued, err := w.TrySubmit(chunk("s", 1, 1000, 1, 2), func(a Ack) { acked <- a })
	if !queued || err != nil {
		t.Fatalf("queued %v, err %v", queued, err)
	}
	select {
	case a := <-acked:
		if a.Err != nil || a.Duplicate || a.Seq != 1 {
			t.Fatalf("ack %+v", a)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no acknowledgement within 10 s")
	}
	var n int64
	st.DB.Model(&store.SampleChunk{}).Where("session_id = ?", "s").Count(&n)
	if n != 1 {
		t.Fatalf("%d rows stored, want 1", n)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if queued, err := w.TrySubmit(chunk("s", 2, 2000, 1), nil); queued || !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: queued %v, err %v", queued, err)
	}
}
