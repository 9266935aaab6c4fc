package kcpmux

import (
	"fmt"
	"net"

	kcp "github.com/xtaci/kcp-go/v5"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// tune applies the per-connection settings to a KCP session, before the
// multiplexer writes to it.
func (st *settings) tune(s *kcp.UDPSession) {
	// kcp-go deprecates SetStreamMode without a replacement, yet it still
	// decides whether KCP.Send appends a short write to the last unsent
	// segment (stream mode) or gives it a segment of its own.
	//lint:ignore SA1019 no replacement exists; see Config.StreamMode.
	s.SetStreamMode(st.StreamMode)
	s.SetWriteDelay(st.WriteDelay)
	s.SetNoDelay(st.Profile.args())
	s.SetWindowSize(st.SendWindow, st.RecvWindow)
	s.SetMtu(st.MTU)
	s.SetACKNoDelay(st.AckNoDelay)
}

// socketTuner is the part of a UDP socket the socket settings need; a
// caller's net.PacketConn without these methods is left as it is.
type socketTuner interface {
	SetReadBuffer(bytes int) error
	SetWriteBuffer(bytes int) error
}

// tuneSocket sizes the socket buffers of pc, when it has any, and sets
// its DSCP.
func (st *settings) tuneSocket(pc net.PacketConn) error {
	if err := st.setDSCP(pc); err != nil {
		return err
	}
	t, ok := pc.(socketTuner)
	if !ok || st.SocketBuffer == 0 {
		return nil
	}
	if err := t.SetReadBuffer(st.SocketBuffer); err != nil {
		return fmt.Errorf("kcpmux: socket receive buffer: %w", err)
	}
	if err := t.SetWriteBuffer(st.SocketBuffer); err != nil {
		return fmt.Errorf("kcpmux: socket send buffer: %w", err)
	}
	return nil
}

// setDSCP marks the packets pc sends with DSCP, when it is set: in the
// TOS byte over IPv4, the traffic class over IPv6 (one of the two may fail
// on a single-family socket).
func (st *settings) setDSCP(pc net.PacketConn) error {
	if st.DSCP == 0 {
		return nil
	}
	c, ok := pc.(net.Conn)
	if !ok {
		return fmt.Errorf("kcpmux: DSCP %d: %T has no IP header to mark", st.DSCP, pc)
	}
	err4 := ipv4.NewConn(c).SetTOS(st.DSCP << 2)
	err6 := ipv6.NewConn(c).SetTrafficClass(st.DSCP)
	if err4 != nil && err6 != nil {
		return fmt.Errorf("kcpmux: DSCP %d: %w", st.DSCP, err4)
	}
	return nil
}
