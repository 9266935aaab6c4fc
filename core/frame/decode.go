package frame

// Error is a frame that breaks the protocol. Code is the GoAway code the
// receiving session answers with. The package's sentinel errors are *Error
// values, so errors.Is matches a specific violation and errors.As the class.
type Error struct {
	Code   ErrorCode
	reason string
}

// Error describes the violation.
func (e *Error) Error() string { return "netmux frame: " + e.reason }

// Validation failures. Each is answered with GoAway(Code).
var (
	ErrInvalidVersion = &Error{CodeInvalidVersion, "unsupported protocol version"}
	ErrUnknownType    = &Error{CodeProtocolError, "unknown frame type"}
	ErrUnknownFlags   = &Error{CodeProtocolError, "undefined flag bits set"}
	ErrStreamZero     = &Error{CodeProtocolError, "stream frame on stream 0"}
	ErrSessionStream  = &Error{CodeProtocolError, "session frame on a stream id other than 0"}
	ErrFrameTooLarge  = &Error{CodeProtocolError, "data frame longer than the max frame size"}
)

// Validate checks h as protocol.md requires: version 1, a known type, only
// defined flag bits, Data and WindowUpdate on a stream id other than 0, Ping
// and GoAway on stream 0, and a Data payload of at most maxFrameSize bytes.
// It returns nil or one of the sentinel *Error values, and never allocates.
func Validate(h Header, maxFrameSize int) error {
	return ValidateVersion(h, Version, maxFrameSize)
}

// ValidateVersion is Validate for a dialect of the same frame layout whose
// version byte is version (yamux: 0).
func ValidateVersion(h Header, version uint8, maxFrameSize int) error {
	if h.Version != version {
		return ErrInvalidVersion
	}
	if h.Flags&^knownFlags != 0 {
		return ErrUnknownFlags
	}
	switch h.Type {
	case TypeData:
		if int64(h.Length) > int64(maxFrameSize) { // a negative limit rejects all Data
			return ErrFrameTooLarge
		}
		fallthrough
	case TypeWindowUpdate:
		if h.StreamID == 0 {
			return ErrStreamZero
		}
	case TypePing, TypeGoAway:
		if h.StreamID != 0 {
			return ErrSessionStream
		}
	default:
		return ErrUnknownType
	}
	return nil
}

// Decode reads the next frame from the start of b, which may hold any number
// of bytes from a byte stream: part of a header, part of a payload, several
// frames. It validates the header with Validate.
//
// If b starts with a complete frame, Decode returns its header, its payload
// and n, the number of bytes the frame occupies (HeaderSize plus the payload
// length). The payload aliases b: it is valid only as long as the caller
// keeps those bytes of b unchanged (with gnet's Peek, only until the callback
// returns). If b holds only part of a valid frame, Decode returns n == 0 and
// a nil error: nothing is consumed, call again with more bytes. A header that
// fails validation is reported as soon as its 12 bytes are present, with n ==
// 0. Decode never allocates.
func Decode(b []byte, maxFrameSize int) (h Header, payload []byte, n int, err error) {
	return DecodeVersion(b, Version, maxFrameSize)
}

// DecodeVersion is Decode for a dialect whose version byte is version; see
// ValidateVersion.
func DecodeVersion(b []byte, version uint8, maxFrameSize int) (h Header, payload []byte, n int, err error) {
	h, ok := ParseHeader(b)
	if !ok {
		return Header{}, nil, 0, nil
	}
	if err := ValidateVersion(h, version, maxFrameSize); err != nil {
		return h, nil, 0, err
	}
	if len(b)-HeaderSize < h.PayloadLen() { // HeaderSize+PayloadLen may overflow int on 32-bit
		return h, nil, 0, nil
	}
	end := HeaderSize + h.PayloadLen()
	return h, b[HeaderSize:end:end], end, nil
}
