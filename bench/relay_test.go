package bench

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// TestRelay checks what the high-RTT workloads rely on: the relay delivers
// every byte in order, none earlier than delay after it was sent, holds at
// most slots+2 reads per direction when the receiver stops reading, and
// closing one end ends the link. net.Pipe has no buffer of its own, so the
// relay's buffering is all there is.
func TestRelay(t *testing.T) {
	const (
		delay = 20 * time.Millisecond
		slots = 2
		held  = slots + 2 // queued, plus one being written, plus one read
	)
	client, a := net.Pipe()
	b, server := net.Pipe()
	startRelay(a, b, delay, slots)
	defer client.Close()
	defer server.Close()

	msg := func(i int) []byte { return fmt.Appendf(nil, "msg%d", i) }
	sent := make([]time.Time, held+1)
	// Nobody reads server yet: the relay takes exactly `held` writes.
	for i := range held {
		sent[i] = time.Now()
		if _, err := client.Write(msg(i)); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	// The next one must wait for the receiver. Its deadline can only make
	// the test pass wrongly on a slow machine, never fail it.
	if err := client.SetWriteDeadline(time.Now().Add(2 * delay)); err != nil {
		t.Fatal(err)
	}
	if n, err := client.Write(msg(held)); !errors.Is(err, os.ErrDeadlineExceeded) || n != 0 {
		t.Fatalf("write past the bound = %d, %v; want 0, deadline exceeded", n, err)
	}
	if err := client.SetWriteDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	wrote := make(chan error, 1)
	go func() {
		sent[held] = time.Now()
		_, err := client.Write(msg(held))
		wrote <- err
	}()

	for i := range held + 1 {
		want := msg(i)
		got := make([]byte, len(want))
		if _, err := io.ReadFull(server, got); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		arrived := time.Now()
		if string(got) != string(want) {
			t.Fatalf("read %q, want %q", got, want)
		}
		if i == held {
			if err := <-wrote; err != nil { // sent[held] is written before wrote
				t.Fatalf("write %d: %v", i, err)
			}
		}
		if d := arrived.Sub(sent[i]); d < delay {
			t.Errorf("%s arrived %v after it was sent, want at least %v", want, d, delay)
		}
	}

	// Closing one end closes the other, in both directions.
	client.Close()
	if _, err := server.Read(make([]byte, 1)); err == nil {
		t.Fatal("read after the far end closed: no error")
	}
}

// TestDelayedConn checks the loopback link the high-RTT workloads use: data
// crosses both ways, each way no earlier than delay after it was sent.
func TestDelayedConn(t *testing.T) {
	const delay = 10 * time.Millisecond
	client, server, err := delayedConn(delay)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	defer server.Close()
	msg, reply := patternAt(0, 1000), make([]byte, 1000)
	start := time.Now()
	echoed := make(chan error, 1)
	go func() {
		b := make([]byte, len(msg))
		_, err := io.ReadFull(server, b)
		if err == nil {
			_, err = server.Write(b)
		}
		echoed <- err
	}()
	if err := exchange(client, msg, reply); err != nil {
		t.Fatal(err)
	}
	if err := <-echoed; err != nil {
		t.Fatal(err)
	}
	if rtt := time.Since(start); rtt < 2*delay {
		t.Errorf("round trip took %v, want at least %v", rtt, 2*delay)
	}
}
