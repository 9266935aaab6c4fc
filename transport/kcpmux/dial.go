package kcpmux

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/netmux/netmux/core"
	kcp "github.com/xtaci/kcp-go/v5"
)

// DefaultDialTimeout bounds Dial and DialOver when their context has no
// deadline.
const DefaultDialTimeout = 5 * time.Second

// Dial starts the client side of a session to the KCP listener at addr
// ("host:port") and returns once the server's session has answered a ping.
// KCP has no handshake of its own: that answer is what shows that a server
// runs there, accepts sessions (Listener.Accept) and shares this side's
// cipher, key and FEC settings. Dial fails when ctx ends first, or after
// DefaultDialTimeout if ctx has no deadline, closing what it opened; the
// error then wraps ctx's. Closing the session closes its KCP connection and
// UDP socket.
func Dial(ctx context.Context, addr string, cfg *Config) (*core.Session, error) {
	st, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	c, err := st.dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	return st.client(ctx, c)
}

// DialConn returns a tuned KCP connection to addr without a session on it,
// for callers that bring their own protocol. Its vectored WriteBuffers
// sends many slices as one KCP write.
func DialConn(ctx context.Context, addr string, cfg *Config) (*kcp.UDPSession, error) {
	st, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	return st.dial(ctx, addr)
}

// DialOver starts the client side of a session to raddr over the caller's
// packet connection, which it takes over: closing the session closes pc.
// The session must have pc to itself; for many sessions on one socket, use
// one Listener on it. Like Dial, it returns once the server has answered,
// within ctx or DefaultDialTimeout. If it fails before using pc, pc is left
// open; once the session started, failing closes pc with it.
func DialOver(ctx context.Context, pc net.PacketConn, raddr net.Addr, cfg *Config) (*core.Session, error) {
	st, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := st.newConn(pc, raddr)
	if err != nil {
		return nil, err
	}
	return st.client(ctx, c)
}

// client runs the client side of a session over c and waits, within ctx or
// DefaultDialTimeout, for the server to answer a ping; on failure it
// closes everything, c included.
func (st *settings) client(ctx context.Context, c *kcp.UDPSession) (*core.Session, error) {
	s, err := core.Client(st.conn(c), st.Mux)
	if err != nil {
		c.Close()
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultDialTimeout)
		defer cancel()
	}
	if _, err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("kcpmux: no answer from a netmux server at %v: %w", c.RemoteAddr(), err)
	}
	return s, nil
}

// dial opens a UDP socket of addr's family and a KCP connection over it.
func (st *settings) dial(ctx context.Context, addr string) (*kcp.UDPSession, error) {
	// KCP has no handshake to cancel: honour a context that is already done
	// here, or resolving a cached name and opening a UDP socket succeed.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	raddr, err := resolveUDP(ctx, addr)
	if err != nil {
		return nil, err
	}
	network := "udp4"
	if raddr.IP.To4() == nil {
		network = "udp6"
	}
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, network, ":0")
	if err != nil {
		return nil, err
	}
	c, err := st.newConn(pc, raddr)
	if err != nil {
		pc.Close()
		return nil, err
	}
	return c, nil
}

// newConn starts a KCP connection to raddr that owns pc: closing it
// closes pc.
func (st *settings) newConn(pc net.PacketConn, raddr net.Addr) (*kcp.UDPSession, error) {
	if err := st.tuneSocket(pc); err != nil {
		return nil, err
	}
	// A random conversation id tells this connection's packets from those
	// of an earlier one from the same address.
	c, err := kcp.NewConn4(rand.Uint32(), raddr, st.block, st.DataShards, st.ParityShards, true, pc)
	if err != nil {
		return nil, err
	}
	st.tune(c)
	return c, nil
}

// resolveUDP resolves "host:port" within ctx, preferring IPv4; an empty
// host means the loopback address, as in net.Dial.
func resolveUDP(ctx context.Context, addr string) (*net.UDPAddr, error) {
	host, service, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := net.DefaultResolver.LookupPort(ctx, "udp", service)
	if err != nil {
		return nil, err
	}
	if host == "" {
		return net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(port))), nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("kcpmux: no address for %q", host)
	}
	ip := ips[0]
	for _, a := range ips {
		if a.Unmap().Is4() {
			ip = a
			break
		}
	}
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip.Unmap(), uint16(port))), nil
}
