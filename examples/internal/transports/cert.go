package transports

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"time"
)

// Validity of the self-signed certificates: a day for one that lives in
// memory, ten years for one saved to files, whose pin is meant to last
// (clients check the pin, not the dates).
const (
	memoryCertValidity = 24 * time.Hour
	fileCertValidity   = 10 * 365 * 24 * time.Hour
)

// serverCertificate returns the TLS listener's certificate: without
// o.CertFile, a fresh self-signed one that lives in memory; with it, the
// pair in o.CertFile and o.KeyFile (PEM), created there self-signed if
// neither file exists yet, so that its pin survives restarts.
func serverCertificate(o Options) (tls.Certificate, error) {
	if o.CertFile == "" {
		cert, _, err := selfSigned(memoryCertValidity)
		return cert, err
	}
	certExists, err := exists(o.CertFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyExists, err := exists(o.KeyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	switch {
	case certExists && keyExists:
		return tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
	case certExists || keyExists:
		return tls.Certificate{}, fmt.Errorf("tls: only one of %s and %s exists: give both, or neither to create them", o.CertFile, o.KeyFile)
	}
	cert, key, err := selfSigned(fileCertValidity)
	if err != nil {
		return tls.Certificate{}, err
	}
	// The key first, readable by its owner only; O_EXCL never overwrites.
	if err := writePEM(o.KeyFile, 0o600, "PRIVATE KEY", key); err != nil {
		return tls.Certificate{}, err
	}
	if err := writePEM(o.CertFile, 0o644, "CERTIFICATE", cert.Certificate[0]); err != nil {
		os.Remove(o.KeyFile)
		return tls.Certificate{}, err
	}
	return cert, nil
}

// exists reports whether a file is at path.
func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// writePEM creates path, which must not exist, holding one PEM block.
func writePEM(path string, perm fs.FileMode, kind string, der []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if err := pem.Encode(f, &pem.Block{Type: kind, Bytes: der}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// selfSigned generates an ECDSA P-256 certificate valid for localhost and
// the loopback addresses, and returns it with its key in PKCS #8 DER.
func selfSigned(validity time.Duration) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "netmux example"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pkcs8, nil
}
