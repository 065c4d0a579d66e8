package logging

import (
	"bytes"
	"io"
	"os"
	"testing"
)

func TestUseColor(t *testing.T) {
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		tty = nil // no controlling terminal (CI): the terminal cases are skipped
	} else {
		defer tty.Close()
	}
	r, pipe, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer pipe.Close()
	if got, _ := UseColor("auto", pipe, ""); got {
		t.Error("auto on a pipe (*os.File, not a terminal): colour on")
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	if IsTerminal(devNull) {
		t.Error("/dev/null (a character device) counted as a terminal")
	}
	for _, tc := range []struct {
		name, mode, noColor string
		terminal            bool
		want                bool
		wantErr             bool
	}{
		{"auto, pipe", "auto", "", false, false, false},
		{"auto, terminal", "auto", "", true, true, false},
		{"auto, terminal, NO_COLOR", "auto", "1", true, false, false},
		{"default is auto", "", "", false, false, false},
		{"always through a pipe, NO_COLOR too", "always", "1", false, true, false},
		{"never on a terminal", "never", "", true, false, false},
		{"bad mode", "sometimes", "", false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w io.Writer = &bytes.Buffer{}
			if tc.terminal {
				if tty == nil {
					t.Skip("no terminal")
				}
				w = tty
			}
			got, err := UseColor(tc.mode, w, tc.noColor)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("UseColor(%q, NO_COLOR=%q) = %v, %v; want %v (error: %v)", tc.mode, tc.noColor, got, err, tc.want, tc.wantErr)
			}
		})
	}
}
