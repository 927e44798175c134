package tlsutil

import (
	"crypto/x509"
	"testing"
	"time"
)

func TestSelfSignedPersists(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	cfg, fp1, err := SelfSigned(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.VerifyHostname("localhost"); err != nil {
		t.Fatalf("certificate does not cover localhost: %v", err)
	}
	if err := cert.VerifyHostname("127.0.0.1"); err != nil {
		t.Fatalf("certificate does not cover 127.0.0.1: %v", err)
	}
	_, fp2, err := SelfSigned(dir, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if fp1 != fp2 || len(fp1) != 95 {
		t.Fatalf("fingerprint changed or malformed: %q vs %q", fp1, fp2)
	}
}
