package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// bucketState is a shared token bucket in the limits bucket.
type bucketState struct {
	Tokens float64 `json:"tokens"`
	Last   int64   `json:"last"` // unix ms
}

// Take takes one token from the token bucket name/key shared by every node
// (perMinute refill, burst capacity), with a compare-and-set so two nodes
// never spend the same token. It returns whether a token was taken and, if
// not, how long until one is. Keys are hashed: addresses and e-mail
// addresses never reach NATS in clear.
func (n *Node) Take(ctx context.Context, name, key string, perMinute, burst float64, now time.Time) (bool, time.Duration, error) {
	sum := sha256.Sum256([]byte(key))
	k := name + "." + hex.EncodeToString(sum[:16])
	rate := perMinute / 60
	for try := 0; try < 8; try++ {
		st := bucketState{Tokens: burst, Last: now.UnixMilli()}
		var rev uint64
		e, err := n.limits.Get(ctx, k)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return false, 0, fmt.Errorf("cluster: reading limit %s: %w", name, err)
		default:
			rev = e.Revision()
			if json.Unmarshal(e.Value(), &st) != nil {
				st = bucketState{Tokens: burst, Last: now.UnixMilli()}
			}
		}
		if el := float64(now.UnixMilli()-st.Last) / 1000; el > 0 {
			st.Tokens = math.Min(burst, st.Tokens+el*rate)
			st.Last = now.UnixMilli()
		}
		ok := st.Tokens >= 1
		var wait time.Duration
		if ok {
			st.Tokens--
		} else {
			wait = time.Duration((1 - st.Tokens) / rate * float64(time.Second))
		}
		b, _ := json.Marshal(st)
		if rev == 0 {
			_, err = n.limits.Create(ctx, k, b)
		} else {
			_, err = n.limits.Update(ctx, k, b, rev)
		}
		if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue // another node took a token meanwhile: read again
		}
		if err != nil {
			return false, 0, fmt.Errorf("cluster: writing limit %s: %w", name, err)
		}
		return ok, wait, nil
	}
	return false, 0, fmt.Errorf("cluster: limit %s: too much contention", name)
}
