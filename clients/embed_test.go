package clients

import (
	"io/fs"
	"testing"
)

func TestFSHasGitkeep(t *testing.T) {
	t.Parallel()
	if _, err := fs.Stat(FS(), ".gitkeep"); err != nil {
		t.Fatalf("dist/.gitkeep missing from the embedded tree: %v", err)
	}
}

func TestAppServesIndexWhenBuilt(t *testing.T) {
	t.Parallel()
	if !Built("webxr") {
		t.Skip("clients/dist/webxr not built (run node build.mjs in clients/)")
	}
	app, err := App("webxr")
	if err != nil {
		t.Fatalf("App(webxr): %v", err)
	}
	for _, name := range []string{"index.html", "app.js", "app.css", "fonts/NotoSans-Regular.ttf", "fonts/NotoNaskhArabic-Regular.ttf"} {
		if _, err := fs.Stat(app, name); err != nil {
			t.Errorf("webxr/%s: %v", name, err)
		}
	}
}
