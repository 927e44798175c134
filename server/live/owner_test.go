package live

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/store"
)

// TestAskWaitsForTheOwner: a request to a room is answered by the room's
// goroutine; one the room cannot answer in time ends at its deadline as
// unavailable (a REST handler never hangs on a busy room); once the room has
// stopped, requests and peer inputs are refused at once.
func TestAskWaitsForTheOwner(t *testing.T) {
	t.Parallel()
	svc := &Service{}
	svc.opts.defaults()
	r := newShell(svc, store.LiveSession{ID: "s1", State: store.LiveScheduled})

	// No owner yet: the question waits in the inbox until its deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := ask(ctx, r, newQuery[store.LiveSession](stateQ{}))
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Code != apierr.Unavailable {
		t.Fatalf("unanswered ask: %v, want unavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("unanswered ask took %v past its 50 ms deadline", d)
	}

	go r.own()
	if _, err := askREST(context.Background(), r, newQuery[struct{}](waitingQ{})); err != nil {
		t.Fatal(err)
	}
	got, err := askREST(context.Background(), r, newQuery[store.LiveSession](stateQ{}))
	if err != nil || got.State != store.LiveWaiting {
		t.Fatalf("state %q (%v), want %q", got.State, err, store.LiveWaiting)
	}

	r.stop()
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the owner did not stop")
	}
	if _, err := ask(context.Background(), r, newQuery[store.LiveSession](stateQ{})); !errors.Is(err, errUnavailable) {
		t.Fatalf("ask after stop: %v, want unavailable", err)
	}
	for range inboxLen + 1 { // more than the inbox holds: none may block
		r.submit(leaveIn{})
	}
}
