package conformance

import (
	"bytes"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Payloads are reproducible from their seed, differ between seeds, and come
// in any length; the incremental checksum equals the one-shot one.
func TestPayload(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 1000, 64<<10 + 3} {
		a, b := Payload(42, n), Payload(42, n)
		if len(a) != n || !bytes.Equal(a, b) {
			t.Fatalf("Payload(42, %d) is not reproducible (len %d)", n, len(a))
		}
		if n >= 8 && bytes.Equal(a, Payload(43, n)) {
			t.Fatalf("Payload(42, %d) == Payload(43, %d)", n, n)
		}
		if n > 0 && !bytes.Equal(a[:n-1], Payload(42, n-1)) {
			t.Fatalf("Payload(42, %d) is not a prefix of Payload(42, %d)", n-1, n)
		}
		h := NewChecksum()
		for p := a; len(p) > 0; p = p[min(len(p), 1000):] {
			h.Write(p[:min(len(p), 1000)])
		}
		if h.Sum64() != Checksum(a) {
			t.Fatalf("incremental checksum of %d bytes differs from Checksum", n)
		}
	}
	if Checksum([]byte("a")) == Checksum([]byte("b")) {
		t.Fatal("Checksum does not tell bytes apart")
	}
}
