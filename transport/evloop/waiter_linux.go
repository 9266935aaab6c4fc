package evloop

import (
	"os"

	"golang.org/x/sys/unix"
)

// poller is the writeWaiter's epoll instance, with an eventfd that kicks
// it.
type poller struct {
	epfd, kickfd int
	events       [64]unix.EpollEvent // the waiting goroutine's only
}

func (p *poller) open() error {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return os.NewSyscallError("epoll_create1", err)
	}
	kickfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return os.NewSyscallError("eventfd", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(kickfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, kickfd, &ev); err != nil {
		unix.Close(kickfd)
		unix.Close(epfd)
		return os.NewSyscallError("epoll_ctl", err)
	}
	p.epfd, p.kickfd = epfd, kickfd
	return nil
}

// wait blocks until some armed sockets have room, which it puts in ready,
// or kick was called (kicked).
func (p *poller) wait(ready []int) (n int, kicked bool) {
	for {
		k, err := unix.EpollWait(p.epfd, p.events[:min(len(p.events), len(ready))], -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, true // only a closed epfd, which release does after the end
		}
		for _, ev := range p.events[:k] {
			if int(ev.Fd) == p.kickfd {
				var buf [8]byte
				_, _ = unix.Read(p.kickfd, buf[:]) // reset the count
				kicked = true
				continue
			}
			ready[n] = int(ev.Fd)
			n++
		}
		return n, kicked
	}
}

// arm reports fd once, when it has room for writing.
func (p *poller) arm(fd int) error {
	ev := unix.EpollEvent{Events: unix.EPOLLOUT | unix.EPOLLONESHOT, Fd: int32(fd)}
	err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, fd, &ev)
	if err == unix.ENOENT {
		err = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
	}
	return err
}

// disarm stops watching fd (it may never have been armed).
func (p *poller) disarm(fd int) { _ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil) }

// kick makes wait return kicked.
func (p *poller) kick() error {
	one := [8]byte{1}
	_, err := unix.Write(p.kickfd, one[:])
	return err
}

func (p *poller) release() {
	unix.Close(p.kickfd)
	unix.Close(p.epfd)
}
