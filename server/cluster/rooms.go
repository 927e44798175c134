package cluster

import (
	"context"
	"time"
)

// Rooms adapts a node to the rooms' ownership interface (owner.Ownership):
// owners are named by URL, and "" means this node.
type Rooms struct{ Node *Node }

// Claim takes key for this node if free; it returns the owner's URL, "" for this node.
func (r Rooms) Claim(ctx context.Context, key string, lost func()) (string, error) {
	h, err := r.Node.Claim(ctx, key, lost)
	if err != nil || r.Node.Mine(h) {
		return "", err
	}
	return h.URL, nil
}

// Owner returns the URL of key's holder: "" for this node or nobody.
func (r Rooms) Owner(ctx context.Context, key string) (string, error) {
	h, ok, err := r.Node.Lookup(ctx, key)
	if err != nil || !ok || r.Node.Mine(h) {
		return "", err
	}
	return h.URL, nil
}

// Release gives key up (bounded: a release that cannot reach NATS is left
// to expire).
func (r Rooms) Release(key string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r.Node.Release(ctx, key)
}
