// Package ratelimit provides keyed token buckets (per account, per address,
// per peer) with bounded memory, used for logins, join codes, signalling and
// data-channel messages.
package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"
)

// Limiter is a set of token buckets, one per key. It is safe for concurrent use.
type Limiter struct {
	rate  float64 // tokens per second
	burst float64
	max   int // keys kept before idle ones are evicted

	mu      sync.Mutex
	buckets map[string]*bucket
	shared  Shared
	name    string
}

// Shared keeps token buckets that every node of a cluster sees
// (server/cluster implements it in NATS KV), so a guesser gains nothing by
// spreading attempts over nodes.
type Shared interface {
	Take(ctx context.Context, name, key string, perMinute, burst float64, now time.Time) (bool, time.Duration, error)
}

// sharedTimeout bounds one shared take; past it the node's own bucket decides.
const sharedTimeout = time.Second

// Share makes l's buckets shared under name. When the shared store fails
// to answer, the node's own bucket decides: each node still limits its share.
func (l *Limiter) Share(s Shared, name string) {
	l.mu.Lock()
	l.shared, l.name = s, name
	l.mu.Unlock()
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a limiter allowing burst events at once and perMinute on average.
func New(perMinute float64, burst int) *Limiter {
	return &Limiter{rate: perMinute / 60, burst: float64(burst), max: 100_000, buckets: map[string]*bucket{}}
}

// Allow takes one token for key at time now. When none is left it returns
// false and how long until the next token.
func (l *Limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	shared, name := l.shared, l.name
	l.mu.Unlock()
	if shared != nil {
		// Allow has no caller context; the take is bounded by sharedTimeout.
		ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
		ok, wait, err := shared.Take(ctx, name, key, l.rate*60, l.burst, now)
		cancel()
		if err == nil {
			return ok, wait
		}
	}
	return l.allowLocal(key, now)
}

func (l *Limiter) allowLocal(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.max {
			l.evict(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+el*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// Reset forgets key (e.g. after a successful login).
// Shared buckets are not reset: they refill on their own.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	delete(l.buckets, key)
	l.mu.Unlock()
}

// evict drops buckets that have refilled completely: forgetting them changes nothing.
func (l *Limiter) evict(now time.Time) {
	full := l.burst / l.rate
	for k, b := range l.buckets {
		if now.Sub(b.last).Seconds() >= full {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.max {
		for k := range l.buckets {
			delete(l.buckets, k)
			if len(l.buckets) < l.max/2 {
				break
			}
		}
	}
}
