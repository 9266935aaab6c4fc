package flow

import (
	"sync"
	"testing"
)

func TestSendCredit(t *testing.T) {
	c := NewSendCredit(256 << 10)
	c.Spend(200 << 10)
	if got := c.Available(); got != 56<<10 {
		t.Fatalf("after spending 200 KiB of 256 KiB: %d", got)
	}
	c.Grant(100)
	if got := c.Available(); got != 56<<10+100 {
		t.Fatalf("after a grant of 100: %d", got)
	}
	// Increments add with saturation at 2^32-1; a hostile peer cannot
	// overflow the counter.
	for range 3 {
		c.Grant(1<<32 - 1)
	}
	if got := c.Available(); got != 1<<32-1 {
		t.Fatalf("after huge grants: %d; want 2^32-1", got)
	}
}

func TestRecvCredit(t *testing.T) {
	var c RecvCredit
	c.Init(100)
	if !c.Spend(60) || !c.Spend(40) {
		t.Fatal("spending exactly the window was refused")
	}
	if c.Spend(1) {
		t.Fatal("one byte beyond the window was accepted")
	}
	c.Init(100)
	c.Grant(50)
	if !c.Spend(150) || c.Spend(1) {
		t.Fatal("a grant did not add exactly its increment")
	}
}

// The dispatcher spends while the reader grants, concurrently.
func TestRecvCreditConcurrent(t *testing.T) {
	var c RecvCredit
	c.Init(0)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 1000 {
			c.Grant(10)
		}
	}()
	wg.Wait()
	for range 1000 {
		if !c.Spend(10) {
			t.Fatal("granted credit went missing")
		}
	}
	if c.Spend(1) {
		t.Fatal("credit appeared from nowhere")
	}
}
