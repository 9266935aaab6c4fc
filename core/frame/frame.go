// Package frame is the net-mux v1 wire format and nothing else: the 12-byte
// header, its field types, allocation-free encoding, validation and an
// incremental decoder. It knows nothing of sessions or streams.
//
// Every frame is a 12-byte big-endian header followed, for Data frames only,
// by Length payload bytes:
//
//	Ver u8 | Type u8 | Flags u16 | StreamID u32 | Length u32
package frame

import (
	"encoding/binary"
	"strconv"
	"strings"
)

// Version is the only protocol version net-mux v1 speaks.
const Version uint8 = 1

// VersionYamux is the version byte of yamux, which shares this frame layout.
const VersionYamux uint8 = 0

// HeaderSize is the size in bytes of every frame header.
const HeaderSize = 12

// DefaultMaxFrameSize is the default limit on a Data frame's payload (64 KiB).
const DefaultMaxFrameSize = 64 << 10

// InitialWindow is the credit each direction of every stream starts with.
// It is not negotiated: both peers must assume it.
const InitialWindow = 256 << 10

// Type is a frame's type byte.
type Type uint8

// Frame types.
const (
	TypeData         Type = 0 // stream payload; Length is the payload size
	TypeWindowUpdate Type = 1 // Length is a credit increment in bytes
	TypePing         Type = 2 // stream 0; Length is an opaque value echoed back
	TypeGoAway       Type = 3 // stream 0; Length is an ErrorCode
)

// String returns the type's name, or "Type(N)" for an unknown value.
func (t Type) String() string {
	switch t {
	case TypeData:
		return "Data"
	case TypeWindowUpdate:
		return "WindowUpdate"
	case TypePing:
		return "Ping"
	case TypeGoAway:
		return "GoAway"
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Flags is a frame's flag bits.
type Flags uint16

// Flag bits. Any other bit set makes a frame invalid.
const (
	FlagSYN Flags = 0x1 // opens a stream
	FlagACK Flags = 0x2 // accepts a stream; marks a Ping reply
	FlagFIN Flags = 0x4 // half-close: the sender sends no more data
	FlagRST Flags = 0x8 // reset: both directions end at once

	knownFlags = FlagSYN | FlagACK | FlagFIN | FlagRST
)

// Has reports whether all bits of g are set in f.
func (f Flags) Has(g Flags) bool { return f&g == g }

// String returns the set flags joined by '|', e.g. "SYN|ACK", or "0".
func (f Flags) String() string {
	if f == 0 {
		return "0"
	}
	var parts []string
	for _, n := range [...]struct {
		bit  Flags
		name string
	}{{FlagSYN, "SYN"}, {FlagACK, "ACK"}, {FlagFIN, "FIN"}, {FlagRST, "RST"}} {
		if f&n.bit != 0 {
			parts = append(parts, n.name)
		}
	}
	if rest := f &^ knownFlags; rest != 0 {
		parts = append(parts, "0x"+strconv.FormatUint(uint64(rest), 16))
	}
	return strings.Join(parts, "|")
}

// ErrorCode is the code a GoAway frame carries in its Length field.
// Unknown values are kept as they are, not rejected.
type ErrorCode uint32

// GoAway error codes.
const (
	CodeNormal           ErrorCode = 0
	CodeProtocolError    ErrorCode = 1
	CodeInternalError    ErrorCode = 2
	CodeFlowControlError ErrorCode = 3
	CodeStreamLimit      ErrorCode = 4
	CodeInvalidVersion   ErrorCode = 5
	CodeTimeout          ErrorCode = 6
)

// String returns the code's name, or "ErrorCode(N)" for an unknown value.
func (c ErrorCode) String() string {
	switch c {
	case CodeNormal:
		return "Normal"
	case CodeProtocolError:
		return "ProtocolError"
	case CodeInternalError:
		return "InternalError"
	case CodeFlowControlError:
		return "FlowControlError"
	case CodeStreamLimit:
		return "StreamLimit"
	case CodeInvalidVersion:
		return "InvalidVersion"
	case CodeTimeout:
		return "Timeout"
	}
	return "ErrorCode(" + strconv.FormatUint(uint64(c), 10) + ")"
}

// Header is a decoded frame header. It is a plain value: copying it is cheap.
type Header struct {
	Version  uint8
	Type     Type
	Flags    Flags
	StreamID uint32
	Length   uint32
}

// String formats the header for logs, e.g. "Data[1] SYN len=5".
func (h Header) String() string {
	s := h.Type.String() + "[" + strconv.FormatUint(uint64(h.StreamID), 10) + "] " +
		h.Flags.String() + " len=" + strconv.FormatUint(uint64(h.Length), 10)
	if h.Version != Version {
		s += " ver=" + strconv.Itoa(int(h.Version))
	}
	return s
}

// PayloadLen is the number of payload bytes that follow the header on the
// wire: Length for Data frames, 0 for every other type.
func (h Header) PayloadLen() int {
	if h.Type == TypeData {
		return int(h.Length)
	}
	return 0
}

// PutHeader encodes h into b. It never allocates.
func PutHeader(b *[HeaderSize]byte, h Header) {
	b[0] = h.Version
	b[1] = byte(h.Type)
	binary.BigEndian.PutUint16(b[2:4], uint16(h.Flags))
	binary.BigEndian.PutUint32(b[4:8], h.StreamID)
	binary.BigEndian.PutUint32(b[8:12], h.Length)
}

// AppendHeader appends the encoding of h to dst and returns the extended
// slice. It allocates only if dst lacks capacity.
func AppendHeader(dst []byte, h Header) []byte {
	var b [HeaderSize]byte
	PutHeader(&b, h)
	return append(dst, b[:]...)
}

// ParseHeader decodes the first HeaderSize bytes of b without validating
// them. It returns false if b is shorter than a header.
func ParseHeader(b []byte) (Header, bool) {
	if len(b) < HeaderSize {
		return Header{}, false
	}
	return Header{
		Version:  b[0],
		Type:     Type(b[1]),
		Flags:    Flags(binary.BigEndian.Uint16(b[2:4])),
		StreamID: binary.BigEndian.Uint32(b[4:8]),
		Length:   binary.BigEndian.Uint32(b[8:12]),
	}, true
}
