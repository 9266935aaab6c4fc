package kcpmux

import (
	"bytes"
	"context"
	"crypto/pbkdf2"
	"crypto/sha1"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	kcp "github.com/xtaci/kcp-go/v5"
)

// cipherNames is every name Config.Crypt accepts.
var cipherNames = []string{"aes", "aes-128", "aes-192", "salsa20", "blowfish", "twofish", "cast5", "3des", "tea", "xtea", "sm4", "xor", "none"}

// TestCiphers: a session works with every cipher, its key derived from a
// passphrase.
func TestCiphers(t *testing.T) {
	for _, name := range cipherNames {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(func(c *Config) { c.Crypt, c.Passphrase = name, "secret" })
			client, server := pairOverUDP(t, cfg)
			echoOnce(t, client, server, payload(1, 64<<10))
		})
	}
}

// TestCipherKey: an explicit Key is used as given, and the passphrase
// derivation is kcptun's.
func TestCipherKey(t *testing.T) {
	key, err := pbkdf2.Key(sha1.New, "secret", []byte("kcp-go"), 4096, 32)
	if err != nil {
		t.Fatal(err)
	}
	server := testConfig(func(c *Config) { c.Crypt, c.Passphrase = "aes", "secret" })
	client := testConfig(func(c *Config) { c.Crypt, c.Key = "aes", key })
	ln, err := Listen("127.0.0.1:0", server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	c, s := dialAccept(t, ln, func(ctx context.Context) (*core.Session, error) {
		return Dial(ctx, ln.Addr().String(), client)
	})
	echoOnce(t, c, s, []byte("same key"))

	bad := testConfig(func(c *Config) { c.Crypt, c.Key = "aes", key[:5] })
	if _, err := Dial(t.Context(), ln.Addr().String(), bad); err == nil {
		t.Error("Dial with a 5-byte AES key succeeded")
	}

	// The server drops packets under another key: nothing answers.
	other := testConfig(func(c *Config) { c.Crypt, c.Passphrase = "aes", "other" })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if s, err := Dial(ctx, ln.Addr().String(), other); !errors.Is(err, context.DeadlineExceeded) {
		if err == nil {
			s.Close()
		}
		t.Errorf("Dial with another key = %v; want no answer within its context", err)
	}
}

// TestSharedCipher: many encrypted connections on one listener send at
// once. kcp-go gives all of them the listener's cipher value, whose
// scratch buffer they would share: packets encrypted at the same time come
// out corrupt and fail the receiver's checksum. (The race detector does
// not see it: the ciphers are in assembly.)
func TestSharedCipher(t *testing.T) {
	csumErrors := atomic.LoadUint64(&kcp.DefaultSnmp.InCsumErrors)
	cfg := testConfig(func(c *Config) { c.Crypt, c.Passphrase = "aes", "secret" })
	ln, err := Listen("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	const clients = 4
	var wg sync.WaitGroup
	for i := range clients {
		c, s := dialAccept(t, ln, func(ctx context.Context) (*core.Session, error) {
			return Dial(ctx, ln.Addr().String(), cfg)
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			echoOnce(t, c, s, payload(uint64(i), 1<<20))
		}()
	}
	wg.Wait()
	if n := atomic.LoadUint64(&kcp.DefaultSnmp.InCsumErrors) - csumErrors; n != 0 {
		t.Errorf("%d packets failed their checksum", n)
	}
}

// TestFEC: with forward error correction on both ends, data crosses a
// lossy link intact.
func TestFEC(t *testing.T) {
	cfg := testConfig(func(c *Config) { c.DataShards, c.ParityShards = 10, 3 })
	client, server := pairOverLink(t, cfg, lossy(0.05, 5*time.Millisecond))
	echoOnce(t, client, server, payload(3, 1<<20))
}

// echoOnce sends p from client to server on a new stream, has the server
// send it back, and checks what returns.
func echoOnce(t testing.TB, client, server *core.Session, p []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	a, err := client.OpenStream(ctx)
	if err != nil {
		t.Error(err)
		return
	}
	defer a.Close()
	go func() {
		a.Write(p)
		a.CloseWrite()
	}()
	b, err := server.AcceptStream(ctx)
	if err != nil {
		t.Error(err)
		return
	}
	defer b.Close()
	go func() {
		io.Copy(b, b)
		b.CloseWrite()
	}()
	a.SetReadDeadline(time.Now().Add(testTimeout))
	got, err := io.ReadAll(a)
	if err != nil {
		t.Errorf("read %d of %d bytes back: %v", len(got), len(p), err)
		return
	}
	if !bytes.Equal(got, p) {
		t.Error("echo differs")
	}
}

// TestBlockConcurrent: the cipher newBlock returns encrypts and decrypts
// correctly from many goroutines at once, as kcp-go uses a listener's.
func TestBlockConcurrent(t *testing.T) {
	cfg := testConfig(func(c *Config) { c.Crypt, c.Passphrase = "aes", "secret" })
	shared, err := newBlock(cfg)
	if err != nil {
		t.Fatal(err)
	}
	key, err := pbkdf2.Key(sha1.New, "secret", []byte("kcp-go"), 4096, 32)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own, err := kcp.NewAESBlockCrypt(key)
			if err != nil {
				t.Error(err)
				return
			}
			want := make([]byte, 1400)
			got := make([]byte, 1400)
			for i := range 500 {
				in := payload(uint64(g<<16|i), 1400)
				own.Encrypt(want, in)
				shared.Encrypt(got, in)
				if !bytes.Equal(got, want) {
					t.Errorf("goroutine %d, packet %d: concurrent Encrypt differs", g, i)
					return
				}
				shared.Decrypt(got, got)
				if !bytes.Equal(got, in) {
					t.Errorf("goroutine %d, packet %d: concurrent Decrypt differs", g, i)
					return
				}
			}
		}()
	}
	wg.Wait()
}
