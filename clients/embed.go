// Package clients embeds the built browser apps (the patient's WebXR client
// and the therapist console) so the haven binary serves them with no CDN and
// no files beside it. Build them first with `npm ci && node build.mjs` in
// this folder; before a build only dist/.gitkeep is embedded and Built
// reports false.
package clients

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// FS returns the built apps rooted at dist/: "webxr/index.html", "console/index.html", ….
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub only fails on an invalid path literal, which "dist" is not.
		panic(err)
	}
	return sub
}

// App returns one app's files rooted at its folder (e.g. App("webxr") has "index.html").
func App(name string) (fs.FS, error) {
	return fs.Sub(FS(), name)
}

// Built reports whether app has been built into the embedded tree.
func Built(app string) bool {
	_, err := fs.Stat(FS(), app+"/index.html")
	return err == nil
}
