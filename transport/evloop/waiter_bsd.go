//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package evloop

import (
	"os"

	"golang.org/x/sys/unix"
)

// poller is the writeWaiter's kqueue, with a pipe that kicks it.
type poller struct {
	kq, kickR, kickW int
	events           [64]unix.Kevent_t // the waiting goroutine's only
}

func (p *poller) open() error {
	kq, err := unix.Kqueue()
	if err != nil {
		return os.NewSyscallError("kqueue", err)
	}
	var fds [2]int
	if err := unix.Pipe(fds[:]); err != nil {
		unix.Close(kq)
		return os.NewSyscallError("pipe", err)
	}
	p.kq, p.kickR, p.kickW = kq, fds[0], fds[1]
	unix.CloseOnExec(kq)
	unix.CloseOnExec(p.kickR)
	unix.CloseOnExec(p.kickW)
	if err := unix.SetNonblock(p.kickR, true); err != nil {
		p.release()
		return err
	}
	if err := p.change(p.kickR, unix.EVFILT_READ, unix.EV_ADD); err != nil {
		p.release()
		return os.NewSyscallError("kevent", err)
	}
	return nil
}

func (p *poller) change(fd int, filter int16, flags uint16) error {
	var ev [1]unix.Kevent_t
	unix.SetKevent(&ev[0], fd, int(filter), int(flags))
	_, err := unix.Kevent(p.kq, ev[:], nil, nil)
	return err
}

// wait blocks until some armed sockets have room, which it puts in ready,
// or kick was called (kicked).
func (p *poller) wait(ready []int) (n int, kicked bool) {
	for {
		k, err := unix.Kevent(p.kq, nil, p.events[:min(len(p.events), len(ready))], nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, true // only a closed kqueue, which release does after the end
		}
		for _, ev := range p.events[:k] {
			if int(ev.Ident) == p.kickR {
				var buf [64]byte
				_, _ = unix.Read(p.kickR, buf[:]) // drain the kicks
				kicked = true
				continue
			}
			ready[n] = int(ev.Ident)
			n++
		}
		return n, kicked
	}
}

// arm reports fd once, when it has room for writing.
func (p *poller) arm(fd int) error {
	return p.change(fd, unix.EVFILT_WRITE, unix.EV_ADD|unix.EV_ONESHOT)
}

// disarm stops watching fd (it may never have been armed).
func (p *poller) disarm(fd int) { _ = p.change(fd, unix.EVFILT_WRITE, unix.EV_DELETE) }

// kick makes wait return kicked.
func (p *poller) kick() error {
	_, err := unix.Write(p.kickW, []byte{1})
	return err
}

func (p *poller) release() {
	unix.Close(p.kickR)
	unix.Close(p.kickW)
	unix.Close(p.kq)
}
