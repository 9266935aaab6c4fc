package transports

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/netmux/netmux/core"
)

// handshakeTimeout bounds a server-side TLS handshake.
const handshakeTimeout = 5 * time.Second

// TLSListener is the TLS transport's Listener. It serves a self-signed
// certificate, generated when it starts or kept in the files
// Options.CertFile and Options.KeyFile; clients verify it with its
// Fingerprint (Options.Pin) or skip verification (Options.Insecure).
type TLSListener struct {
	connListener
	fingerprint string
}

// Fingerprint returns the hex SHA-256 of the listener's certificate, the
// value a client passes as Options.Pin.
func (l *TLSListener) Fingerprint() string { return l.fingerprint }

func listenTLS(addr string, o Options) (Listener, error) {
	cert, err := serverCertificate(o)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	conf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}
	sum := sha256.Sum256(cert.Certificate[0])
	return &TLSListener{
		connListener: connListener{ln: ln, cfg: o.Config, setup: func(c net.Conn) (net.Conn, error) {
			// The handshake runs here, bounded, so that a peer that fails
			// it never becomes a session.
			tc := tls.Server(c, conf)
			c.SetDeadline(time.Now().Add(handshakeTimeout))
			if err := tc.Handshake(); err != nil {
				c.Close()
				return nil, err
			}
			c.SetDeadline(time.Time{})
			return tc, nil
		}},
		fingerprint: hex.EncodeToString(sum[:]),
	}, nil
}

// parsePin decodes a pin: the hex SHA-256 of a certificate's DER bytes.
func parsePin(pin string) ([]byte, error) {
	b, err := hex.DecodeString(pin)
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("tls: pin %q is not a hex SHA-256 (64 hex digits)", pin)
	}
	return b, nil
}

// errPinMismatch is returned when the server's certificate is not the
// pinned one.
var errPinMismatch = errors.New("tls: server certificate does not match the pin")

func dialTLS(ctx context.Context, addr string, o Options) (*core.Session, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS13}
	switch {
	case o.Pin != "":
		want, err := parsePin(o.Pin)
		if err != nil {
			return nil, err
		}
		// Trust exactly the pinned certificate, whatever its issuer.
		conf.InsecureSkipVerify = true
		conf.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errPinMismatch
			}
			got := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if !bytes.Equal(got[:], want) {
				return fmt.Errorf("%w: server sent %x", errPinMismatch, got)
			}
			return nil
		}
	case o.Insecure:
		conf.InsecureSkipVerify = true
	default:
		// Verify against the system roots; a self-signed certificate
		// needs Pin or Insecure.
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		conf.ServerName = host
	}
	d := tls.Dialer{Config: conf}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return clientSession(c, o.Config)
}
