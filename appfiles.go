// Package onboard holds files of the function app that the onboard binary
// needs at run time wherever it is started: `onboard dev` emulates the
// Functions host from host.json and functions/*/function.json, and falls
// back to these embedded copies when the working directory has none (for
// example after `go install`, or when run from another folder).
package onboard

import "embed"

// AppFiles is host.json and every functions/<Name>/function.json of this
// repository, as built into the binary; the layout is the repository's, so
// `fs.Sub` is not needed to find them.
//
//go:embed host.json functions/*/function.json
var AppFiles embed.FS
