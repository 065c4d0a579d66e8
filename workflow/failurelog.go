package workflow

import (
	"crypto/sha256"
	"encoding/hex"
)

// EventHash identifies an event's content for the failure log: type,
// source, id, subject and data. Extension attributes are left out: a
// sender controls them and the workflow does not act on them.
func EventHash(ev Event) string {
	h := sha256.New()
	for _, part := range []string{ev.Type, ev.Source, ev.ID, ev.Subject} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(ev.Data)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// failsFast reports whether a redelivery with body hash hash is the
// message this entry recorded a permanent failure for. Only the same
// message (id and hash) fails fast: another message sent under the same
// id — a junk or forged one under a reminder's id, say — is processed on
// its own merits, and an entry without a hash (an undecodable envelope, or
// one written before hashes were recorded) never short-cuts a decodable one.
func (f Failure) failsFast(hash string) bool {
	return !f.Transient && f.BodyHash != "" && f.BodyHash == hash
}
