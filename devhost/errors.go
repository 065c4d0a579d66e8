package devhost

import "errors"

// Sentinel errors of the queue, matched with errors.Is.
var (
	// ErrLockLost: the lock token is unknown, already settled, or its lock
	// expired (Service Bus MessageLockLost). The message is (or will be)
	// delivered again.
	ErrLockLost = errors.New("message lock lost")
	// ErrNotFound: no such message (or queue).
	ErrNotFound = errors.New("not found")
	// ErrClosed: the queue (or broker) was closed.
	ErrClosed = errors.New("queue closed")
)
