package workflow

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// maxMessageID is Service Bus's limit on MessageId.
const maxMessageID = 128

// onboardingID is the key as used in message ids: the key itself when it
// is short enough, else a digest, so ids stay within Service Bus's limit.
func onboardingID(key string, cycle int) string {
	id := key
	if len(id) > 80 {
		id = "sha256-" + digest(key)
	}
	if cycle > 0 {
		id = fmt.Sprintf("%s/c%d", id, cycle)
	}
	return id
}

// digest is the first 128 bits of s's SHA-256 in hex: the short, stable
// stand-in the message ids use for text too long (or too free) to carry.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

// reminderMessageID is the deterministic MessageId of reminder n, so that
// duplicate detection drops a reminder scheduled twice.
func reminderMessageID(key string, cycle, n int) string {
	return fmt.Sprintf("%s/reminder/%d", onboardingID(key, cycle), n)
}

// retryMessageID is the deterministic MessageId of retry attempt n of the
// message originalID (itself possibly a retry).
func retryMessageID(originalID string, attempt int) string {
	base := originalMessageID(originalID)
	id := fmt.Sprintf("%s/retry/%d", base, attempt)
	if len(id) > maxMessageID {
		id = fmt.Sprintf("sha256-%s/retry/%d", digest(base), attempt)
	}
	return id
}

// originalMessageID is the id a retry chain is keyed by: the message id
// without a trailing "/retry/<n>". A replayed dead letter
// ("…/retry/3/replay/<n>") is a new message with a chain of its own.
func originalMessageID(id string) string {
	i := strings.LastIndex(id, "/retry/")
	if i < 0 {
		return id
	}
	n := id[i+len("/retry/"):]
	if _, err := strconv.Atoi(n); err != nil || n == "" {
		return id
	}
	return id[:i]
}
