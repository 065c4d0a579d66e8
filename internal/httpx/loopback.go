package httpx

import (
	"net"
	"strings"
)

// IsLoopbackHost reports whether host (no port; an IPv6 literal may keep
// its brackets) is localhost or a loopback IP: the hosts for which plain
// http and unauthenticated access are allowed (a local simulator).
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
