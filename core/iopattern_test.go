package core

import "testing"

// ioPattern classifies a stream from its Reads (r: returned data) and
// Writes (w): request/response after two read-then-write rounds, bulk
// reading after three Reads in a row; only request/response lets a Write
// write inline.
func TestIOPattern(t *testing.T) {
	for _, tc := range []struct {
		ops         string
		shown       bool
		inlineWrite bool // whether one more Write now may write inline
	}{
		{"", false, false},
		{"w r", false, false},                      // open, exchange once
		{"r w r w", true, false},                   // two rounds: Reads lead; the next Write follows no Read
		{"r w r w r", true, true},                  // a Write after a Read on a request/response stream
		{"r r", false, false},                      // one Read after a Read
		{"r r r", true, false},                     // read in bulk
		{"r r r w", false, false},                  // a Write ends the run
		{"r r r w r r r", true, false},             // a new run
		{"w w w r r", false, false},                // a sender that reads a little
		{"r w r w r r r r r r w r w", true, false}, // request/response stays shown
	} {
		var p ioPattern
		for _, op := range tc.ops {
			switch op {
			case 'r':
				p.read()
			case 'w':
				p.write()
			}
		}
		if got := p.shown(); got != tc.shown {
			t.Errorf("%q: shown = %v, want %v", tc.ops, got, tc.shown)
		}
		if got := p.write(); got != tc.inlineWrite {
			t.Errorf("%q then a Write: inline = %v, want %v", tc.ops, got, tc.inlineWrite)
		}
	}
}
