package auth

import "time"

// SetClock replaces the clock the service reads for login limits, session
// and invite expiry. Tests call it before the server handles any request
// (the field is not guarded), then move their own clock safely.
func (s *Service) SetClock(now func() time.Time) { s.now = now }
