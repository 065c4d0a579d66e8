package deploytest

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// runPackager runs the packaging program exactly as `make package` does,
// writing to out, and returns its combined output.
func runPackager(t *testing.T, root, pkgRoot, out string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "./scripts/package", "-root", pkgRoot, "-o", out)
	cmd.Dir = root
	b, err := cmd.CombinedOutput()
	return string(b), err
}

// TestPackage builds the real deployment zip (the linux/amd64 handler
// included) and checks what the Functions host needs: the layout, the
// executable bit, host.json pointing at the binary, a static linux/amd64
// ELF, and, where this machine can run it, that the binary knows the
// subcommand host.json starts it with.
func TestPackage(t *testing.T) {
	root := moduleRoot(t)
	out := filepath.Join(t.TempDir(), "onboard.zip")
	start := time.Now()
	output, err := runPackager(t, root, root, out)
	if err != nil {
		t.Fatalf("packaging failed: %v\n%s", err, output)
	}
	t.Logf("packaged in %s: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(output))

	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string]*zip.File{}
	var names []string
	for _, f := range zr.File {
		files[f.Name] = f
		names = append(names, f.Name)
	}

	// Layout: host.json, handler and each functions/<Name>/ file at the root; nothing else.
	want := []string{"host.json", "handler"}
	fnRoot := filepath.Join(root, FunctionsDir)
	err = filepath.WalkDir(fnRoot, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(fnRoot, p)
			want = append(want, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(want)
	got := slices.Sorted(slices.Values(names))
	if !slices.Equal(got, want) {
		t.Errorf("zip entries = %q, want %q", got, want)
	}
	for _, required := range []string{"host.json", "handler", "OnboardingEvents/function.json", "OnboardingStatus/function.json"} {
		if files[required] == nil {
			t.Errorf("zip lacks %s", required)
		}
	}
	for _, n := range names {
		if strings.HasPrefix(n, "functions/") || strings.HasPrefix(n, "/") || strings.Contains(n, "..") {
			t.Errorf("entry %q: function folders belong at the package root", n)
		}
	}

	// Executable bit, recorded as a Unix mode.
	h := files["handler"]
	if h == nil {
		t.FailNow()
	}
	if h.Mode()&0o111 == 0 || h.CreatorVersion>>8 != 3 {
		t.Errorf("handler mode = %v (creator %d), want executable with Unix attributes", h.Mode(), h.CreatorVersion>>8)
	}
	for _, n := range names {
		if n != "handler" && files[n].Mode()&0o111 != 0 {
			t.Errorf("%s is executable, want 0644", n)
		}
	}

	// host.json points at the packaged binary.
	var host struct {
		CustomHandler struct {
			Description struct {
				DefaultExecutablePath string   `json:"defaultExecutablePath"`
				Arguments             []string `json:"arguments"`
			} `json:"description"`
		} `json:"customHandler"`
	}
	if err := json.Unmarshal(readZipFile(t, files["host.json"]), &host); err != nil {
		t.Fatalf("host.json in the package: %v", err)
	}
	if p := host.CustomHandler.Description.DefaultExecutablePath; p != "handler" {
		t.Errorf("host.json defaultExecutablePath = %q, want %q", p, "handler")
	}

	// A static linux/amd64 ELF.
	bin := filepath.Join(t.TempDir(), "handler")
	if err := os.WriteFile(bin, readZipFile(t, h), 0o755); err != nil {
		t.Fatal(err)
	}
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("handler is not an ELF binary: %v", err)
	}
	defer ef.Close()
	if ef.Class != elf.ELFCLASS64 || ef.Machine != elf.EM_X86_64 {
		t.Errorf("handler is %v/%v, want ELFCLASS64/EM_X86_64", ef.Class, ef.Machine)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("handler has a %v program header: dynamically linked, want static (CGO_ENABLED=0)", p.Type)
		}
	}
	if libs, _ := ef.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("handler needs shared libraries %v, want none", libs)
	}

	// The binary runs here and offers the subcommand host.json starts.
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Logf("not running the handler on %s/%s", runtime.GOOS, runtime.GOARCH)
		return
	}
	args := host.CustomHandler.Description.Arguments
	if len(args) == 0 {
		t.Fatal("host.json customHandler.description.arguments is empty: the handler would start without a subcommand")
	}
	usage, _ := exec.Command(bin, "help").CombinedOutput() // exits 2 with the command list
	if !bytes.Contains(usage, []byte("\n  "+args[0]+" ")) {
		t.Errorf("host.json starts `handler %s`, but the binary's commands are:\n%s", strings.Join(args, " "), usage)
	}
}

func readZipFile(t *testing.T, f *zip.File) []byte {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPackageRefusesBrokenLayout checks the packager fails fast, naming the
// file and the rule, before it spends minutes compiling.
func TestPackageRefusesBrokenLayout(t *testing.T) {
	root := moduleRoot(t)
	goodHost := `{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"handler"}}}`
	goodFn := `{"bindings":[{"name":"req","type":"httpTrigger","direction":"in"}]}`
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"host.json points elsewhere", map[string]string{
			"host.json": `{"customHandler":{"description":{"defaultExecutablePath":"onboard.exe"}}}`, "functions/F/function.json": goodFn},
			`customHandler.description.defaultExecutablePath must be "handler"`},
		{"host.json missing", map[string]string{"functions/F/function.json": goodFn}, "host.json"},
		{"function folder without function.json", map[string]string{
			"host.json": goodHost, "functions/F/readme.txt": "x"},
			"functions/F: every function folder needs a function.json"},
		{"function.json without bindings", map[string]string{
			"host.json": goodHost, "functions/F/function.json": `{"bindings":[]}`},
			"has no bindings"},
		{"no functions", map[string]string{"host.json": goodHost}, "functions/"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.files {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out := filepath.Join(dir, "dist", "onboard.zip")
			output, err := runPackager(t, root, dir, out)
			if err == nil {
				t.Fatalf("packaging succeeded, want failure mentioning %q", tc.want)
			}
			if !strings.Contains(output, tc.want) {
				t.Errorf("output %q does not mention %q", output, tc.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a failed run left a zip behind")
			}
		})
	}
}
