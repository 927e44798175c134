package wire

import (
	"bytes"
	"encoding/json"
	"errors"
)

// Samples are a batch's values. JSON has no NaN or Infinity, so a browser's
// JSON.stringify turns them into null — and encoding/json would quietly
// decode that null as 0, a plausible-looking wrong sample (0 µS of skin
// conductance). A null anywhere refuses the batch instead.
type Samples []float64

var errNullSample = errors.New("wire: values: null is not a sample (NaN or Infinity on the sender)")

// UnmarshalJSON decodes a number array and refuses null elements.
func (s *Samples) UnmarshalJSON(data []byte) error {
	var v []float64
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	// The array decoded into numbers, so "null" in it can only be a token.
	if v != nil && bytes.Contains(data, []byte("null")) {
		return errNullSample
	}
	*s = v
	return nil
}
