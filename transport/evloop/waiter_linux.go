package evloop

import (
	"os"

	"golang.org/x/sys/unix"
)

// poller is the writeWaiter's epoll instance, with an eventfd that stops
// it.
type poller struct {
	epfd, stopfd int
	events       [64]unix.EpollEvent // the waiting goroutine's only
}

func (p *poller) open() error {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return os.NewSyscallError("epoll_create1", err)
	}
	stopfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return os.NewSyscallError("eventfd", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(stopfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, stopfd, &ev); err != nil {
		unix.Close(stopfd)
		unix.Close(epfd)
		return os.NewSyscallError("epoll_ctl", err)
	}
	p.epfd, p.stopfd = epfd, stopfd
	return nil
}

// wait blocks until some armed sockets have room and puts them in ready;
// stop is true once stop was called.
func (p *poller) wait(ready []int) (n int, stop bool) {
	for {
		k, err := unix.EpollWait(p.epfd, p.events[:min(len(p.events), len(ready))], -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, true // only a closed epfd, which release does after we exit
		}
		for _, ev := range p.events[:k] {
			if int(ev.Fd) == p.stopfd {
				return 0, true
			}
			ready[n] = int(ev.Fd)
			n++
		}
		return n, false
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

// stop makes wait return stop.
func (p *poller) stop() error {
	one := [8]byte{1}
	_, err := unix.Write(p.stopfd, one[:])
	return err
}

func (p *poller) release() {
	unix.Close(p.stopfd)
	unix.Close(p.epfd)
}
