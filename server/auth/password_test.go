package auth

import (
	"strings"
	"testing"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	t.Parallel()
	h := HashPassword("correct horse battery staple")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("unexpected hash format %q", h)
	}
	if h == HashPassword("correct horse battery staple") {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
	tests := []struct {
		name, hash, password string
		ok                   bool
		wantErr              bool
	}{
		{"right password", h, "correct horse battery staple", true, false},
		{"wrong password", h, "correct horse battery stapler", false, false},
		{"empty password", h, "", false, false},
		{"not argon2id", "$2a$10$abc", "x", false, true},
		{"bad params", "$argon2id$v=19$m=0,t=2,p=1$c2FsdA$a2V5", "x", false, true},
		{"bad base64", "$argon2id$v=19$m=1024,t=1,p=1$!!$a2V5", "x", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ok, err := VerifyPassword(tc.hash, tc.password)
			if ok != tc.ok || (err != nil) != tc.wantErr {
				t.Fatalf("VerifyPassword = %v, %v; want %v, err %v", ok, err, tc.ok, tc.wantErr)
			}
		})
	}
}
