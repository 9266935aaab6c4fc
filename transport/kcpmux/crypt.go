package kcpmux

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"fmt"
	"sync"

	kcp "github.com/xtaci/kcp-go/v5"
)

// cipherSpec is one packet cipher: its kcp-go constructor and the key
// length it takes.
type cipherSpec struct {
	keyLen int
	make   func(key []byte) (kcp.BlockCrypt, error)
}

// cipherByName returns the cipher Config.Crypt names. The names and key
// lengths are kcptun's, so one passphrase means the same key in both.
func cipherByName(name string) (cipherSpec, bool) {
	switch name {
	case "aes":
		return cipherSpec{32, kcp.NewAESBlockCrypt}, true
	case "aes-128":
		return cipherSpec{16, kcp.NewAESBlockCrypt}, true
	case "aes-192":
		return cipherSpec{24, kcp.NewAESBlockCrypt}, true
	case "salsa20":
		return cipherSpec{32, kcp.NewSalsa20BlockCrypt}, true
	case "blowfish":
		return cipherSpec{32, kcp.NewBlowfishBlockCrypt}, true
	case "twofish":
		return cipherSpec{32, kcp.NewTwofishBlockCrypt}, true
	case "cast5":
		return cipherSpec{16, kcp.NewCast5BlockCrypt}, true
	case "3des":
		return cipherSpec{24, kcp.NewTripleDESBlockCrypt}, true
	case "tea":
		return cipherSpec{16, kcp.NewTEABlockCrypt}, true
	case "xtea":
		return cipherSpec{16, kcp.NewXTEABlockCrypt}, true
	case "sm4":
		return cipherSpec{16, kcp.NewSM4BlockCrypt}, true
	case "xor":
		return cipherSpec{32, kcp.NewSimpleXORBlockCrypt}, true
	case "none":
		return cipherSpec{32, kcp.NewNoneBlockCrypt}, true
	}
	return cipherSpec{}, false
}

// pbkdf2Salt and pbkdf2Iter derive a key from Config.Passphrase as kcptun
// does (PBKDF2-HMAC-SHA1, 4096 rounds, 32 bytes).
const (
	pbkdf2Salt = "kcp-go"
	pbkdf2Iter = 4096
)

// newBlock returns the packet cipher cfg asks for, or nil for none.
func newBlock(cfg *Config) (kcp.BlockCrypt, error) {
	if cfg.Crypt == "" {
		return nil, nil
	}
	spec, ok := cipherByName(cfg.Crypt)
	if !ok {
		return nil, fmt.Errorf("%w: unknown Crypt %q", ErrInvalidConfig, cfg.Crypt)
	}
	key := cfg.Key
	if key == nil {
		k, err := pbkdf2.Key(sha1.New, cfg.Passphrase, []byte(pbkdf2Salt), pbkdf2Iter, 32)
		if err != nil {
			return nil, err
		}
		key = k[:spec.keyLen]
	}
	b, err := spec.make(key)
	if err != nil {
		return nil, fmt.Errorf("%w: Crypt %q with a %d-byte Key: %v", ErrInvalidConfig, cfg.Crypt, len(key), err)
	}
	p := &pooledBlock{}
	p.pool.New = func() any {
		b, _ := spec.make(key) // cannot fail: the same key just worked
		return b
	}
	p.pool.Put(b)
	return p, nil
}

// pooledBlock makes a kcp-go BlockCrypt safe for concurrent use. kcp-go's
// ciphers keep their chaining state in the cipher value, and a kcp.Listener
// hands its one cipher to every session it accepts, whose sending goroutines
// then encrypt concurrently with the same scratch buffer: a data race that
// corrupts packets. Each call here borrows an instance of its own.
type pooledBlock struct{ pool sync.Pool }

// Encrypt encrypts src into dst with a borrowed cipher instance.
func (p *pooledBlock) Encrypt(dst, src []byte) {
	b := p.pool.Get().(kcp.BlockCrypt)
	b.Encrypt(dst, src)
	p.pool.Put(b)
}

// Decrypt decrypts src into dst with a borrowed cipher instance.
func (p *pooledBlock) Decrypt(dst, src []byte) {
	b := p.pool.Get().(kcp.BlockCrypt)
	b.Decrypt(dst, src)
	p.pool.Put(b)
}
