package core

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// A reset that frees room in the session's send buffer wakes the writers
// waiting for it, although nothing reaches the transport: the peer reads
// nothing, stream a fills the buffer, b's small Write waits; once a is
// reset, b's bytes are queued at once.
func TestResetWakesWritersWaitingForRoom(t *testing.T) {
	c1, c2 := net.Pipe() // nobody reads c2: the driver's first write blocks
	defer c2.Close()
	cfg := DefaultConfig()
	cfg.KeepAliveInterval = 0
	cfg.MaxSendBuffer = 64 << 10
	s, err := Client(c1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := s.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	aDone := make(chan error, 1)
	go func() {
		_, err := a.Write(make([]byte, 200<<10)) // within credit, beyond the buffer
		aDone <- err
	}()
	awaitRoomWait := func(st *Stream, early <-chan error) {
		t.Helper()
		for !s.waitingForRoom(st) {
			select {
			case err := <-early:
				t.Fatalf("stream %d's Write returned %v before the buffer had room", st.id, err)
			case <-ctx.Done():
				t.Fatalf("stream %d never waited for room in the send buffer", st.id)
			case <-time.After(time.Millisecond):
			}
		}
	}
	awaitRoomWait(a, aDone) // the buffer is full
	bDone := make(chan error, 1)
	go func() {
		b.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_, err := b.Write(make([]byte, 12))
		bDone <- err
	}()
	awaitRoomWait(b, bDone)
	a.Reset()
	if err := <-aDone; !errors.Is(err, ErrStreamReset) {
		t.Fatalf("a's Write after Reset: %v; want ErrStreamReset", err)
	}
	if err := <-bDone; err != nil {
		t.Fatalf("b's Write after a freed the buffer: %v", err)
	}
}

// waitingForRoom reports whether st waits for room in the send buffer.
func (s *Session) waitingForRoom(st *Stream) bool {
	s.tx.mu.Lock()
	defer s.tx.mu.Unlock()
	return st.tx.waiting
}
