package kcpmux

import (
	"errors"
	"fmt"
	"time"

	"github.com/netmux/netmux/core"
	kcp "github.com/xtaci/kcp-go/v5"
)

// Config tunes KCP and the session over it. The zero value of a field is
// not its default: start from DefaultConfig and change what you need. A nil
// *Config means DefaultConfig(). Both ends must agree on DataShards,
// ParityShards, Crypt and the key; the rest is each side's own.
type Config struct {
	// Profile is the retransmission profile (default ProfileFast3()); see
	// ProfileByName for kcptun's named modes.
	Profile Profile
	// StreamMode (default true, as in kcptun) lets KCP append a short write
	// to its last unsent segment. Off, each buffer the driver hands KCP
	// starts a segment of its own (24 bytes of KCP header); KCP packs
	// segments into packets either way. The driver's buffers hold whole
	// frames, so the difference is small: within noise in loopback runs
	// of many small writes. kcp-go deprecates the setting, with no
	// replacement.
	StreamMode bool
	// WriteDelay (default false) holds written data until the next tick of
	// Profile.Interval. The driver already hands KCP whole batches of
	// frames, so delaying them only adds latency.
	WriteDelay bool
	// AckNoDelay (default false) sends an ACK for every packet as it
	// arrives instead of once per Interval. It shortens the sender's view of
	// the round trip at the cost of one ACK packet per data packet; with
	// the fast profiles the 10-20 ms tick is short enough.
	AckNoDelay bool
	// SendWindow and RecvWindow are KCP's windows in packets (default 2048
	// each, 1..65535). At most min(SendWindow, the peer's RecvWindow)
	// packets are in flight, so throughput is bounded by window*MTU/RTT:
	// 2048 packets of 1350 bytes over a 100 ms round trip is about 27 MB/s.
	// A lost packet holds the window until it is resent, so lossy links
	// need more than the bandwidth-delay product: on a 40 ms, 10%-loss
	// link 2048 moved about 1.5 times as much as kcptun's 1024 (4096 gave
	// little more). Each window costs up to window*MTU bytes of buffering.
	// KCP's own default of 32 caps a long link at a few hundred KB/s.
	// A keepalive ping counts as written once kcp-go has queued it, behind
	// up to SendWindow packets still to be sent, so Mux.KeepAliveTimeout
	// must exceed the time to send that much at the slowest rate the link
	// may fall to: 2048 packets are 2.7 MB, which 30 s covers down to
	// 90 KB/s.
	SendWindow, RecvWindow int
	// MTU is the largest UDP payload KCP sends (default 1350, 64..1500 less
	// 20 bytes with Crypt and 8 with FEC). 1350 leaves room for IPv6, PPPoE
	// and VPN headers, so packets are not fragmented on common paths.
	MTU int
	// SocketBuffer sets SO_RCVBUF and SO_SNDBUF of the UDP socket (default
	// 4 MiB; 0 leaves the system's). A window of 1024 full packets does not
	// fit in the usual 208 KiB default, and a full buffer is loss. Linux
	// caps the request at net.core.rmem_max and wmem_max.
	SocketBuffer int
	// DataShards and ParityShards enable Reed-Solomon forward error
	// correction when both are positive (default off; kcptun uses 10 and
	// 3): every DataShards packets are followed by ParityShards parity
	// packets, so up to ParityShards losses per group are repaired without a
	// retransmission round trip, for 30% more bandwidth at 10/3.
	DataShards, ParityShards int
	// Crypt names the packet cipher (default "", no cipher and no integrity
	// check): "aes" (AES-256), "aes-128", "aes-192", "salsa20", "blowfish",
	// "twofish", "cast5", "3des", "tea", "xtea", "sm4", "xor", or "none"
	// (a CRC32 integrity check without encryption). Each packet gets a
	// random nonce and a checksum (20 bytes). It hides and checks the
	// traffic but does not authenticate the peer.
	Crypt string
	// Key is the cipher key; its length must suit Crypt (32 bytes for
	// "aes"). When nil, the key is derived from Passphrase with
	// PBKDF2-HMAC-SHA1 (4096 rounds, salt "kcp-go", as kcptun does).
	Key []byte
	// Passphrase is the secret the key is derived from when Key is nil.
	Passphrase string
	// DSCP marks outgoing packets' IP header (0..63; default 0, not set).
	// On a listener it applies to the shared socket.
	DSCP int
	// Linger bounds how long closing a session's KCP connection waits for
	// the peer to acknowledge what was written (default 5s; 0 closes at
	// once). KCP has no orderly close: without it the last frames, the
	// GoAway and the data a Shutdown flushed among them, are lost whenever
	// one packet of them is. The wait also ends once the peer has
	// acknowledged nothing for 4 retransmission timeouts, so a peer that is
	// gone costs little, while one that acknowledges slowly gets it all.
	Linger time.Duration
	// Mux configures the sessions over KCP; nil means DefaultMuxConfig().
	Mux *core.Config
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() *Config {
	return &Config{
		Profile:      ProfileFast3(),
		StreamMode:   true,
		SendWindow:   2048,
		RecvWindow:   2048,
		MTU:          1350,
		SocketBuffer: 4 << 20,
		Linger:       5 * time.Second,
	}
}

// DefaultMuxConfig returns the session settings used over KCP when
// Config.Mux is nil: core's defaults, with a keepalive every 10 s (UDP
// mappings in NATs expire after 30 s or more of silence, and a dead UDP
// peer is only ever noticed by a timeout). MaxFrameSize stays at 64 KiB:
// 16, 32 and 64 KiB frames moved the same over loopback KCP, where the
// UDP system calls, not the frames, set the pace.
func DefaultMuxConfig() *core.Config {
	c := core.DefaultConfig()
	c.KeepAliveInterval = 10 * time.Second
	c.KeepAliveTimeout = 30 * time.Second
	return c
}

// ErrInvalidConfig is wrapped by every configuration error.
var ErrInvalidConfig = errors.New("kcpmux: invalid config")

// Per-packet overheads kcp-go adds in front of the KCP segment; with the
// segment they must fit its 1500-byte packet buffers.
const (
	maxPacket    = 1500
	cryptHeader  = 20 // nonce and CRC32
	fecHeader    = 8  // FEC header and payload length
	minMTU       = 64
	maxWindow    = 1<<16 - 1 // KCP advertises windows in 16 bits
	maxFECShards = 256       // Reed-Solomon over GF(2^8)
)

// Validate reports the first setting that makes no sense, wrapping
// ErrInvalidConfig.
func (c *Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	if err := c.Profile.validate(); err != nil {
		return err
	}
	fec := c.DataShards > 0 && c.ParityShards > 0
	overhead := 0
	if c.Crypt != "" {
		overhead += cryptHeader
	}
	if fec {
		overhead += fecHeader
	}
	switch {
	case c.SendWindow < 1 || c.SendWindow > maxWindow:
		return bad("SendWindow %d outside 1..%d", c.SendWindow, maxWindow)
	case c.RecvWindow < 1 || c.RecvWindow > maxWindow:
		return bad("RecvWindow %d outside 1..%d", c.RecvWindow, maxWindow)
	case c.MTU < minMTU || c.MTU > maxPacket-overhead:
		return bad("MTU %d outside %d..%d", c.MTU, minMTU, maxPacket-overhead)
	case c.SocketBuffer < 0:
		return bad("SocketBuffer %d < 0", c.SocketBuffer)
	case c.DataShards < 0 || c.ParityShards < 0:
		return bad("DataShards %d and ParityShards %d must not be negative", c.DataShards, c.ParityShards)
	case (c.DataShards > 0) != (c.ParityShards > 0):
		return bad("DataShards %d and ParityShards %d: set both or neither", c.DataShards, c.ParityShards)
	case c.DataShards+c.ParityShards > maxFECShards:
		return bad("DataShards+ParityShards %d > %d", c.DataShards+c.ParityShards, maxFECShards)
	case c.Linger < 0:
		return bad("Linger %v < 0", c.Linger)
	case c.DSCP < 0 || c.DSCP > 63:
		return bad("DSCP %d outside 0..63", c.DSCP)
	case c.Crypt != "" && c.Crypt != "none" && c.Key == nil && c.Passphrase == "":
		return bad("Crypt %q needs a Key or a Passphrase", c.Crypt)
	}
	if c.Crypt != "" {
		if _, ok := cipherByName(c.Crypt); !ok {
			return bad("unknown Crypt %q", c.Crypt)
		}
	}
	if c.Mux != nil {
		if err := c.Mux.Validate(); err != nil {
			return fmt.Errorf("%w: Mux: %w", ErrInvalidConfig, err)
		}
	}
	return nil
}

// settings is a validated configuration, ready to apply.
type settings struct {
	Config
	block kcp.BlockCrypt // nil without Crypt
}

// resolve validates cfg (nil meaning the defaults) and builds its cipher.
func resolve(cfg *Config) (*settings, error) {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &settings{Config: *cfg}
	if s.Mux == nil {
		s.Mux = DefaultMuxConfig()
	}
	block, err := newBlock(cfg)
	if err != nil {
		return nil, err
	}
	s.block = block
	return s, nil
}
