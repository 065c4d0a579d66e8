package workflow

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TextRule returns the rule a text value breaks, or "" when it is fine.
// Text reaches Graph (names, job and contact fields), mails and logs, so it
// must not hide or reorder what a reader sees: control characters (C0, C1;
// multiline text may keep tab, CR and LF), bidirectional controls
// (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069: "Trojan Source"),
// zero-width and other invisible format characters (Unicode category Cf,
// e.g. U+200B, U+FEFF), line and paragraph separators (U+2028/9) and
// noncharacters. Invalid UTF-8 is refused too.
func TextRule(s string, multiline bool) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	for _, r := range s {
		if what := forbiddenRune(r, multiline); what != "" {
			return fmt.Sprintf("must not contain %s %U", what, r)
		}
	}
	return ""
}

// forbiddenRune names the class of r when text must not contain it.
func forbiddenRune(r rune, multiline bool) string {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		if multiline {
			return ""
		}
		return "the control character"
	case unicode.Is(unicode.Cc, r):
		return "the control character"
	case r == 0x061C || r == 0x200E || r == 0x200F || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069):
		return "the bidirectional control"
	case unicode.Is(unicode.Cf, r):
		return "the invisible (zero-width or format) character"
	case r == 0x2028 || r == 0x2029:
		return "the line separator"
	case (r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE:
		return "the noncharacter"
	}
	return ""
}

// EscapeHidden returns s with every character TextRule refuses in a single
// line (controls, bidi controls, invisible format characters, separators,
// noncharacters) written as \uXXXX, so a value from an event cannot start
// a forged line in a log or disguise what follows it.
func EscapeHidden(s string) string {
	hidden := func(r rune) bool { return forbiddenRune(r, false) != "" }
	if !strings.ContainsFunc(s, hidden) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if hidden(r) {
			fmt.Fprintf(&b, `\u%04X`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
