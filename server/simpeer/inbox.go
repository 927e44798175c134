// Package simpeer provides simulated Haven peers that speak the live-session
// protocol over real pion connections: a patient whose headset follows
// commands, whose SUDS ratings habituate and rise with intensity and whose
// sensors stream biosignals from server/biosignal's simulator; and a
// therapist console. Tests, `haven bench live` and trainee practice use them.
package simpeer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/havenvr/haven/server/wire"
)

// Received is one message a simulated peer got, with its arrival time.
type Received struct {
	wire.Message
	At time.Time
}

// inbox keeps what a peer received and wakes waiters.
type inbox struct {
	mu     sync.Mutex
	msgs   []Received
	notify chan struct{}
	keep   int
}

func newInbox(keep int) *inbox { return &inbox{notify: make(chan struct{}), keep: keep} }

func (b *inbox) add(r Received) {
	b.mu.Lock()
	b.msgs = append(b.msgs, r)
	if b.keep > 0 && len(b.msgs) > 2*b.keep {
		b.msgs = append([]Received(nil), b.msgs[len(b.msgs)-b.keep:]...)
	}
	close(b.notify)
	b.notify = make(chan struct{})
	b.mu.Unlock()
}

// Wait returns the first message (oldest first) matching pred, waiting for
// one to arrive until ctx ends.
func (b *inbox) Wait(ctx context.Context, pred func(Received) bool) (Received, error) {
	for {
		b.mu.Lock()
		for _, m := range b.msgs {
			if pred(m) {
				b.mu.Unlock()
				return m, nil
			}
		}
		ch := b.notify
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Received{}, fmt.Errorf("simpeer: waiting: %w", ctx.Err())
		}
	}
}

// All returns a copy of what was received.
func (b *inbox) All() []Received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Received(nil), b.msgs...)
}

// Type matches messages of a type.
func Type(typ string) func(Received) bool {
	return func(r Received) bool { return r.Type == typ }
}
