package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress reports completed requests while a load runs: on a terminal one
// line rewritten in place (at most every 100ms), otherwise a line at every
// tenth of the way.
type progress struct {
	out   io.Writer
	tty   bool
	label string
	total int
	start time.Time

	mu    sync.Mutex
	done  int
	bytes int64
	shown time.Time // terminal: when the line was last drawn
	tenth int       // otherwise: tenths already printed
}

func newProgress(out io.Writer, tty bool, label string, total int) *progress {
	return &progress{out: out, tty: tty, label: label, total: total, start: time.Now()}
}

// isTerminal reports whether f is a character device, e.g. a terminal.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// add records one finished request that moved n bytes.
func (p *progress) add(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.bytes += n
	if p.tty {
		if now := time.Now(); now.Sub(p.shown) >= 100*time.Millisecond || p.done == p.total {
			p.shown = now
			fmt.Fprintf(p.out, "\r%s  %s\x1b[K", p.label, p.line()) // \x1b[K: erase the rest
		}
		return
	}
	if tenth := p.done * 10 / p.total; tenth > p.tenth {
		p.tenth = tenth
		fmt.Fprintf(p.out, "%s  %3d%%  %s\n", p.label, tenth*10, p.line())
	}
}

// finish ends the terminal's progress line.
func (p *progress) finish() {
	if p.tty {
		fmt.Fprintln(p.out)
	}
}

func (p *progress) line() string {
	secs := time.Since(p.start).Seconds()
	return fmt.Sprintf("%d/%d requests  %7.1f MB  %7.1f MB/s", p.done, p.total, float64(p.bytes)/1e6, float64(p.bytes)/1e6/secs)
}
