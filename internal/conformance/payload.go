package conformance

import (
	"encoding/binary"
	"hash"
	"hash/crc64"
	"math/rand/v2"
)

var crcTable = crc64.MakeTable(crc64.ECMA)

// Payload returns n pseudo-random bytes determined by seed: both ends of a
// test can produce the same payload without sending its description.
func Payload(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, (n+7)&^7)
	for i := 0; i < len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	b = b[:n:n]
	return b
}

// Checksum returns the CRC-64 (ECMA) of b.
func Checksum(b []byte) uint64 { return crc64.Checksum(b, crcTable) }

// NewChecksum returns a hash computing Checksum incrementally, for data
// read in pieces.
func NewChecksum() hash.Hash64 { return crc64.New(crcTable) }
