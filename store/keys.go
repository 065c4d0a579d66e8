package store

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/b2b-onboarding/onboard/workflow"
)

// MaxEscapedKeyBytes is the longest escaped key (see EscapeKey) a store
// accepts: Table Storage's PartitionKey and RowKey hold 1 KiB of UTF-16,
// 512 characters (Azurite enforces exactly that).
const MaxEscapedKeyBytes = 512

// ErrInvalidKey is wrapped by the error returned for an empty key, a key
// that is not valid UTF-8, or one whose escaped form exceeds
// MaxEscapedKeyBytes.
var ErrInvalidKey = errors.New("invalid key")

// EscapeKey turns a record key or message id into a string that is safe as
// a Table Storage PartitionKey/RowKey and as a file name on any file
// system: the bytes a-z, 0-9, '@', '.', '-' and '_' are kept, every other
// byte of the UTF-8 encoding becomes '~' and two upper-case hex digits
// ("a+b@x.com" → "a~2Bb@x.com", "k/reminder/1" → "k~2Freminder~2F1").
//
// Why this scheme: normalized emails, the usual keys, stay readable in
// Storage Explorer and `ls`; Table Storage forbids / \ # ? and control
// characters in keys and mishandles some others in URLs (percent, plus, single quote),
// none of which survive; upper case is escaped so that two keys differing
// only in case never collide on a case-insensitive file system. The
// mapping is injective ('~' itself is escaped), so UnescapeKey inverts it.
func EscapeKey(key string) string {
	var b strings.Builder
	b.Grow(len(key))
	for i := 0; i < len(key); i++ {
		c := key[i]
		if keepByte(c) {
			b.WriteByte(c)
			continue
		}
		const hexDigits = "0123456789ABCDEF"
		b.WriteByte('~')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0x0f])
	}
	return b.String()
}

func keepByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '@' || c == '.' || c == '-' || c == '_'
}

// UnescapeKey inverts EscapeKey; it fails on input EscapeKey cannot produce.
func UnescapeKey(s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '~' {
			if !keepByte(c) {
				return "", fmt.Errorf("escaped key %q: byte %q at %d is neither kept nor escaped", s, c, i)
			}
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("escaped key %q: truncated escape at %d", s, i)
		}
		v, err := hex.DecodeString(s[i+1 : i+3])
		if err != nil || keepByte(v[0]) || strings.ToUpper(s[i+1:i+3]) != s[i+1:i+3] {
			return "", fmt.Errorf("escaped key %q: invalid escape %q at %d", s, s[i:i+3], i)
		}
		b.WriteByte(v[0])
		i += 2
	}
	return b.String(), nil
}

// checkKey validates a record key or message id; what names it in errors
// ("record key", "failure message id").
func checkKey(op, what, key string) error {
	var reason string
	switch {
	case key == "":
		reason = what + " must not be empty"
	case !utf8.ValidString(key):
		reason = what + " must be valid UTF-8"
	case len(EscapeKey(key)) > MaxEscapedKeyBytes:
		reason = fmt.Sprintf("%s escapes to %d bytes, at most %d are allowed", what, len(EscapeKey(key)), MaxEscapedKeyBytes)
	default:
		return nil
	}
	return &workflow.PermanentError{Op: op, Reason: reason, Err: ErrInvalidKey}
}
