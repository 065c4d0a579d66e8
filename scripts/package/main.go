// Command package builds the Azure Functions deployment package of
// b2b-onboarding, dist/onboard.zip by default (`make package`):
//
//	handler                          ./cmd/onboard built for linux/amd64, CGO_ENABLED=0, -trimpath, mode 0755
//	host.json                        must name "handler" as customHandler.description.defaultExecutablePath
//	<Function>/function.json         every folder under functions/, at the package root
//
// It is a Go program rather than a shell script so that it runs wherever Go
// does, with no zip tool installed, and so that the executable bit of the
// handler is written into the zip (Unix mode in the external attributes)
// even when packaging on Windows. Entries have a fixed modification time, so
// the same sources and toolchain give the same zip.
//
// Usage:
//
//	go run ./scripts/package [-o dist/onboard.zip] [-root .]
package main

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"sort"
	"time"
)

// HandlerName is the binary's name inside the package; host.json must point
// at it.
const HandlerName = "handler"

// fixedTime is the modification time of every zip entry (reproducible zips).
var fixedTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

func main() {
	out := flag.String("o", filepath.Join("dist", "onboard.zip"), "zip file to write")
	root := flag.String("root", ".", "module root holding host.json, functions/ and cmd/onboard")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	n, err := build(ctx, *root, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "package:", err)
		os.Exit(1)
	}
	st, err := os.Stat(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "package:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s (%d entries, %.1f MiB)\n", *out, n, float64(st.Size())/(1<<20))
}

// entry is one file of the package: its path in the zip, where its bytes
// come from and its Unix mode.
type entry struct {
	name string
	src  string
	mode fs.FileMode
}

// build checks the function app layout under root, compiles the handler into
// a temporary stage and writes the zip to out. It returns the number of
// entries written.
func build(ctx context.Context, root, out string) (int, error) {
	if err := checkHostJSON(filepath.Join(root, "host.json")); err != nil {
		return 0, err
	}
	fns, err := functionFiles(root)
	if err != nil {
		return 0, err
	}
	stage, err := os.MkdirTemp("", "onboard-package-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(stage)
	bin := filepath.Join(stage, HandlerName)
	if err := compile(ctx, root, bin); err != nil {
		return 0, err
	}
	entries := append([]entry{
		{name: "host.json", src: filepath.Join(root, "host.json"), mode: 0o644},
		{name: HandlerName, src: bin, mode: 0o755},
	}, fns...)
	if err := writeZip(out, entries); err != nil {
		return 0, err
	}
	return len(entries), nil
}

// checkHostJSON requires host.json to be JSON whose custom handler is the
// packaged binary: the host would otherwise start nothing.
func checkHostJSON(file string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("host.json: %w", err)
	}
	var host struct {
		CustomHandler struct {
			Description struct {
				DefaultExecutablePath string `json:"defaultExecutablePath"`
			} `json:"description"`
		} `json:"customHandler"`
	}
	if err := json.Unmarshal(raw, &host); err != nil {
		return fmt.Errorf("%s: not valid JSON: %w", file, err)
	}
	if p := host.CustomHandler.Description.DefaultExecutablePath; p != HandlerName {
		return fmt.Errorf("%s: customHandler.description.defaultExecutablePath must be %q (the packaged binary), got %q", file, HandlerName, p)
	}
	return nil
}

// functionFiles lists every file of every functions/<Name>/ folder, named
// <Name>/<file> in the package. Each folder must hold a valid function.json.
func functionFiles(root string) ([]entry, error) {
	dir := filepath.Join(root, "functions")
	dirs, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("functions/: %w", err)
	}
	var out []entry
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		fj := filepath.Join(dir, d.Name(), "function.json")
		raw, err := os.ReadFile(fj)
		if err != nil {
			return nil, fmt.Errorf("functions/%s: every function folder needs a function.json: %w", d.Name(), err)
		}
		var doc struct {
			Bindings []json.RawMessage `json:"bindings"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("%s: not valid JSON: %w", fj, err)
		}
		if len(doc.Bindings) == 0 {
			return nil, fmt.Errorf("%s: has no bindings", fj)
		}
		base := filepath.Join(dir, d.Name())
		err = filepath.WalkDir(base, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			if !e.Type().IsRegular() {
				return fmt.Errorf("%s: only regular files can be packaged", p)
			}
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			out = append(out, entry{name: filepath.ToSlash(rel), src: p, mode: 0o644})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("functions/: no function folders found")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// compile builds ./cmd/onboard for the Functions Linux workers: a static
// linux/amd64 binary with no libc dependency.
func compile(ctx context.Context, root, bin string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("the go command is needed to build the handler: %w", err)
	}
	cmd := exec.CommandContext(ctx, goTool, "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/onboard")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/onboard for linux/amd64: %w", err)
	}
	return nil
}

// writeZip writes entries to out through a temporary file renamed into
// place, so a failed run never leaves a half-written package behind.
func writeZip(out string, entries []entry) (err error) {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	zw := zip.NewWriter(tmp)
	for _, e := range entries {
		if err := addFile(zw, e); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}

// addFile copies one file into the zip with its Unix mode (SetMode records
// it in the external attributes with the "made by Unix" version, which is
// what unzip and the Functions deployment read for the executable bit).
func addFile(zw *zip.Writer, e entry) error {
	if path.IsAbs(e.name) || e.name == "" {
		return errors.New("invalid entry name " + e.name)
	}
	f, err := os.Open(e.src)
	if err != nil {
		return err
	}
	defer f.Close()
	hdr := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: fixedTime}
	hdr.SetMode(e.mode)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("%s: %w", e.src, err)
	}
	return nil
}
