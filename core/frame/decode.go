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

// Decoder splits a byte stream into frames without copying or allocating.
// It returns each header as soon as its 12 bytes are in and a Data payload
// in the pieces in which it arrives, so its caller never has to hold more
// than a partial header. A session's inbound side uses one Decoder for the
// life of its transport; the zero value is not usable, see NewDecoder.
type Decoder struct {
	version uint8  // the version byte every frame must carry
	max     int    // largest Data payload accepted
	h       Header // frame whose payload is still arriving
	left    int    // bytes of that payload still to come
}

// NewDecoder returns a Decoder of net-mux v1 frames that accepts Data
// payloads of at most maxFrameSize bytes.
func NewDecoder(maxFrameSize int) Decoder { return NewDecoderVersion(Version, maxFrameSize) }

// NewDecoderVersion returns a Decoder for a dialect of the same frame layout
// whose version byte is version; see ValidateVersion.
func NewDecoderVersion(version uint8, maxFrameSize int) Decoder {
	return Decoder{version: version, max: maxFrameSize}
}

// Piece is one step through the byte stream: a frame's header, some of its
// payload, or both.
type Piece struct {
	Header  Header // the frame this piece belongs to
	Payload []byte // payload bytes in this piece; aliases the input
	Start   bool   // Header was decoded by this call
	End     bool   // the frame is complete: none of its payload is left
}

// Next decodes from the start of b and returns the piece found and how many
// bytes of b it consumed. While a payload is arriving, the piece is as much
// of it as b holds. Otherwise b must start with a header: once its 12 bytes
// are present, it is validated (Validate) and returned with whatever of its
// payload follows in b. n == 0 with a nil error means b holds too little
// (nothing, or part of a header): call again with more bytes, starting with
// the ones not consumed. A header that fails validation is returned with
// its *Error and n == 0; the stream cannot be decoded further. The payload
// aliases b: it is valid only as long as those bytes are. Next never
// allocates.
func (d *Decoder) Next(b []byte) (p Piece, n int, err error) {
	if d.left > 0 {
		k := min(d.left, len(b))
		if k == 0 {
			return Piece{}, 0, nil
		}
		d.left -= k
		return Piece{Header: d.h, Payload: b[:k:k], End: d.left == 0}, k, nil
	}
	h, ok := ParseHeader(b)
	if !ok {
		return Piece{}, 0, nil
	}
	if err := ValidateVersion(h, d.version, d.max); err != nil {
		return Piece{Header: h}, 0, err
	}
	k := min(h.PayloadLen(), len(b)-HeaderSize)
	d.h, d.left = h, h.PayloadLen()-k
	end := HeaderSize + k
	return Piece{Header: h, Payload: b[HeaderSize:end:end], Start: true, End: d.left == 0}, end, nil
}

// Left returns how many bytes of the current frame's payload are still to
// come: the caller may read them elsewhere and pass over them with Skip.
func (d *Decoder) Left() int { return d.left }

// Skip passes over n bytes of the payload under way that the caller read
// straight to their destination instead of giving them to Next; n must not
// exceed Left. The piece returned has no Payload; End says whether the
// frame is now complete.
func (d *Decoder) Skip(n int) Piece {
	d.left -= n
	return Piece{Header: d.h, End: d.left == 0}
}

// Decode reads one whole frame from the start of b, which may hold any
// number of bytes from a byte stream: part of a header, part of a payload,
// several frames. It is Decoder.Next for callers that keep the bytes until a
// frame is complete (tests, tools).
//
// If b starts with a complete frame, Decode returns its header, its payload
// and n, the number of bytes the frame occupies (HeaderSize plus the payload
// length). The payload aliases b. If b holds only part of a valid frame,
// Decode returns n == 0 and a nil error: nothing is consumed, call again
// with more bytes. A header that fails validation is reported as soon as its
// 12 bytes are present, with n == 0. Decode never allocates.
func Decode(b []byte, maxFrameSize int) (h Header, payload []byte, n int, err error) {
	return DecodeVersion(b, Version, maxFrameSize)
}

// DecodeVersion is Decode for a dialect whose version byte is version; see
// ValidateVersion.
func DecodeVersion(b []byte, version uint8, maxFrameSize int) (h Header, payload []byte, n int, err error) {
	d := NewDecoderVersion(version, maxFrameSize)
	p, n, err := d.Next(b)
	if err != nil || !p.End {
		return p.Header, nil, 0, err
	}
	return p.Header, p.Payload, n, nil
}
