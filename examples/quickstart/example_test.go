package quickstart_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"

	"github.com/netmux/netmux/core"
)

// Example runs both ends of a session in one program: the server echoes
// every stream, the client opens one stream, writes, half-closes and reads
// the echo.
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()

	// Server: one session on the accepted connection; echo every stream.
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		sess, err := core.Server(conn, nil) // nil: core.DefaultConfig()
		if err != nil {
			return
		}
		defer sess.Close()
		for {
			st, err := sess.AcceptStream(context.Background())
			if err != nil {
				return // the client closed the session
			}
			go func() {
				defer st.Close()
				io.Copy(st, st)
			}()
		}
	}()

	// Client: a session on the dialled connection, then as many streams as
	// needed, each a net.Conn.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	sess, err := core.Client(conn, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer sess.Close()

	st, err := sess.OpenStream(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Write([]byte("hello, netmux")); err != nil {
		log.Fatal(err)
	}
	st.CloseWrite() // half-close: the server's io.Copy sees EOF
	reply, err := io.ReadAll(st)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s (stream %d)\n", reply, st.ID())
	// Output: hello, netmux (stream 1)
}
