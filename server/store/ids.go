package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a random 128-bit identifier as 26 lower-case base32 characters.
func NewID() string {
	return RandomToken(16)
}

// RandomToken returns n random bytes encoded as lower-case base32.
func RandomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms.
	return idEncoding.EncodeToString(b)
}

// HashToken returns the hex SHA-256 of a bearer token, the form kept at rest.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
