package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
)

// pacer sends numbered messages at a fixed rate and records, for each one
// that comes back (echoed or relayed), the time since it was sent. The
// number is the message's first 8 bytes.
type pacer struct {
	rec    *Recorder
	mu     sync.Mutex
	sentAt map[uint64]time.Time
}

func newPacer(rec *Recorder) *pacer { return &pacer{rec: rec, sentAt: map[uint64]time.Time{}} }

// received matches an arrived message to its send time.
func (p *pacer) received(data []byte) {
	now := time.Now()
	if len(data) < 8 {
		return
	}
	id := binary.BigEndian.Uint64(data)
	p.mu.Lock()
	t, ok := p.sentAt[id]
	delete(p.sentAt, id)
	p.mu.Unlock()
	if ok {
		p.rec.Add(now.Sub(t))
	}
}

// run sends one message of size bytes every 1/rate seconds until ctx ends.
// Messages are paced, not back-to-back, like therapist commands.
func (p *pacer) run(ctx context.Context, rate float64, size int, send func([]byte) error) error {
	if rate <= 0 {
		return errors.New("bench: rate must be positive")
	}
	msg := make([]byte, max(size, 8))
	for i := 8; i < len(msg); i++ {
		msg[i] = 'x'
	}
	t := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer t.Stop()
	for id := uint64(1); ; id++ {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		out := append([]byte(nil), msg...)
		binary.BigEndian.PutUint64(out, id)
		p.mu.Lock()
		p.sentAt[id] = time.Now()
		p.mu.Unlock()
		if err := send(out); err != nil {
			return fmt.Errorf("bench: send: %w", err)
		}
	}
}
