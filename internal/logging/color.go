package logging

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// Colour modes of --color.
const (
	ColorAuto   = "auto"   // on when writing to a terminal and NO_COLOR is unset or empty
	ColorAlways = "always" // on, even through a pipe or with NO_COLOR
	ColorNever  = "never"
)

// NoColorVar is the environment variable of the no-color.org convention.
// It is the terminal user's preference, read by every CLI that colours,
// not an app setting: it is not in config.Settings (nor in the app
// settings of the templates), and only `dev`'s console reads it.
const NoColorVar = "NO_COLOR"

// UseColor decides whether log lines written to w are coloured: mode is
// --color's value; with auto, colour is on only when w is a terminal and
// the NO_COLOR environment variable is unset or empty (no-color.org).
func UseColor(mode string, w io.Writer, noColor string) (bool, error) {
	switch mode {
	case ColorAlways:
		return true, nil
	case ColorNever:
		return false, nil
	case ColorAuto, "":
		return noColor == "" && isTerminal(w), nil
	}
	return false, fmt.Errorf("--color %q: must be auto, always or never", mode)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && IsTerminal(f)
}

// IsTerminal reports whether f is a terminal (not a file, a pipe or
// /dev/null, which is a character device too).
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// ANSI colours of the console format.
const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiGrey   = "\x1b[90m"
)

// Colorize wraps s in the ANSI colour of a tone ("ok", "warn", "error",
// "info", "debug"); an unknown tone leaves s as it is.
func Colorize(tone, s string) string {
	c, ok := map[string]string{"ok": ansiGreen, "warn": ansiYellow, "error": ansiRed, "info": ansiCyan, "debug": ansiGrey}[tone]
	if !ok {
		return s
	}
	return c + s + ansiReset
}
