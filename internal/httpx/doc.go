// Package httpx holds the small HTTP helpers several adapters share: reading
// a Retry-After header and telling a loopback host from a remote one. It
// is a leaf (standard library only) so that graph, store and config can use
// it without workflow importing net/http.
package httpx
