package main

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/netmux/netmux/core"
)

// echoLines sends each line of in on a new stream of sess, half-closes it,
// and writes the echoed reply to out, one line each.
func echoLines(ctx context.Context, sess *core.Session, in io.Reader, out io.Writer) error {
	lines := bufio.NewScanner(in)
	for lines.Scan() {
		reply, err := echo(ctx, sess, lines.Bytes())
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(out, "%s\n", reply); err != nil {
			return err
		}
	}
	return lines.Err()
}

// echo sends msg on a stream of its own and returns what comes back.
func echo(ctx context.Context, sess *core.Session, msg []byte) ([]byte, error) {
	st, err := sess.OpenStream(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if _, err := st.Write(msg); err != nil {
		return nil, err
	}
	if err := st.CloseWrite(); err != nil {
		return nil, err
	}
	return io.ReadAll(st)
}
