package groups

import "errors"

// SweepNow has the running retention sweeper make one pass, as its minute
// ticker would, and waits for it: tests step the service's clock
// (AdvanceClock) and then sweep instead of waiting a minute.
func (s *Service) SweepNow() error {
	done := make(chan error, 1)
	select {
	case s.sweepNow <- done:
	case <-s.stop:
		return errors.New("groups: the sweeper has stopped")
	}
	return <-done
}

// MaxLobby is how many members may wait in a room's lobby.
const MaxLobby = maxLobby
