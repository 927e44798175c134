package live

import (
	"sync"
	"time"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/ratelimit"
)

// Default signalling limit: WHIP offers and ICE restarts per credential and
// session. A headset reconnecting after link loss needs a handful a minute;
// each offer costs a PeerConnection, ICE gathering and DTLS, so a loop of
// them must not be free.
const (
	DefaultSignalPerMinute = 20
	DefaultSignalBurst     = 10
)

// abuseLimits holds the signalling limiter and the clock the request limits
// read (a seam for tests). The zero value uses the defaults and time.Now.
type abuseLimits struct {
	mu     sync.Mutex
	now    func() time.Time
	signal *ratelimit.Limiter
}

func (l *abuseLimits) clock() time.Time {
	l.mu.Lock()
	now := l.now
	l.mu.Unlock()
	if now == nil {
		return time.Now()
	}
	return now()
}

// SetLimitClock replaces the clock the join-code and signalling limits read
// (tests step it past a window instead of sleeping).
func (s *Service) SetLimitClock(now func() time.Time) {
	s.lim.mu.Lock()
	s.lim.now = now
	s.lim.mu.Unlock()
}

// SetSignalLimit replaces the signalling limit (tests, `haven bench live`).
func (s *Service) SetSignalLimit(perMinute float64, burst int) {
	lim := ratelimit.New(perMinute, burst)
	s.lim.mu.Lock()
	s.lim.signal = lim
	s.lim.mu.Unlock()
}

// limitSignal takes a token for one offer or restart. key names the
// credential and the session, never an address: every member of a clinic
// behind one NAT shares an address, and no signalling route is reachable
// without a credential.
func (s *Service) limitSignal(key string) error {
	s.lim.mu.Lock()
	if s.lim.signal == nil {
		s.lim.signal = ratelimit.New(DefaultSignalPerMinute, DefaultSignalBurst)
	}
	lim := s.lim.signal
	s.lim.mu.Unlock()
	if ok, wait := lim.Allow(key, s.lim.clock()); !ok {
		return apierr.Limited(wait)
	}
	return nil
}

// patientSignalKey is the patient's bucket: one bearer token per session.
func patientSignalKey(sessionID string) string { return "patient:" + sessionID }

// consoleSignalKey is a staff account's bucket for one session, so one
// therapist running many sessions is not throttled by their sum.
func consoleSignalKey(userID, sessionID string) string { return "console:" + userID + ":" + sessionID }
