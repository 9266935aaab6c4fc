package evloop

import (
	"fmt"
	"strings"
)

// splitAddr splits "network://address" (gnet's form) or a bare "host:port"
// (TCP) into a network and an address for net.Dial or gnet.
func splitAddr(addr string) (network, address string, err error) {
	network, address, found := strings.Cut(addr, "://")
	if !found {
		network, address = "tcp", addr
	}
	switch network {
	case "tcp", "tcp4", "tcp6", "unix":
	default:
		return "", "", fmt.Errorf("evloop: address %q: network %q is not tcp, tcp4, tcp6 or unix", addr, network)
	}
	if address == "" {
		return "", "", fmt.Errorf("evloop: address %q has no host or path", addr)
	}
	return network, address, nil
}
