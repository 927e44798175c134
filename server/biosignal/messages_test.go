package biosignal

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Every coded error and alert kind this package emits has an English message
// (the i18n coverage test then enforces the other locales).
func TestMessageIDsExist(t *testing.T) {
	t.Parallel()
	root := repoRoot()
	data, err := os.ReadFile(filepath.Join(root, "i18n", "locales", "bio.en.json"))
	if err != nil {
		t.Fatalf("reading bio.en.json: %v", err)
	}
	var msgs map[string]json.RawMessage
	if err := json.Unmarshal(data, &msgs); err != nil {
		t.Fatal(err)
	}
	ids := []string{"bio.alert.cleared", "bio.contact.ok", "bio.contact.lost", "bio.contact.unsupported"}
	for _, c := range []Code{CodeMalformed, CodeUnknownStream, CodeBadUnit, CodeTooLarge, CodeBadValue,
		CodeTimeBackwards, CodeTimeFuture, CodeBadLength, CodeEmpty, CodeBadRule} {
		ids = append(ids, (&Error{Code: c}).MessageID())
	}
	for _, k := range []AlertKind{AlertHRMax, AlertHRZ, AlertEDAZ, AlertContactLost, AlertNoData} {
		ids = append(ids, "bio.alert."+string(k))
	}
	for _, id := range ids {
		if _, ok := msgs[id]; !ok {
			t.Errorf("message %s missing from bio.en.json", id)
		}
	}
}
