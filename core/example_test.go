package core_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/netmux/netmux/core"
)

// One side opens a stream, the other accepts it; each stream is a net.Conn.
// Half-closing with CloseWrite lets the peer read to io.EOF while the reply
// still comes back.
func ExampleSession_OpenStream() {
	// Any connection works: TCP, TLS, a unix socket; here an in-memory pipe.
	// With a nil (default) config, Client and Server cannot fail.
	c1, c2 := net.Pipe()
	client, _ := core.Client(c1, nil)
	server, _ := core.Server(c2, nil)
	defer client.Close()
	defer server.Close()

	served := make(chan struct{})
	go func() {
		defer close(served)
		st, err := server.AcceptStream(context.Background())
		if err != nil {
			log.Print(err)
			return
		}
		defer st.Close()
		req, err := io.ReadAll(st) // up to the client's CloseWrite
		if err != nil {
			log.Print(err)
			return
		}
		st.Write([]byte(strings.ToUpper(string(req))))
	}()

	st, err := client.OpenStream(context.Background()) // no round trip
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	st.Write([]byte("hello, netmux"))
	st.CloseWrite() // half-close: the server's ReadAll returns
	reply, err := io.ReadAll(st)
	if err != nil {
		log.Fatal(err)
	}
	<-served
	fmt.Printf("stream %d: %s\n", st.ID(), reply)
	// Output: stream 1: HELLO, NETMUX
}

// A Session is a net.Listener, so net/http serves the streams the peer
// opens; the client side dials by opening a stream.
func Example_httpServe() {
	c1, c2 := net.Pipe()
	client, _ := core.Client(c1, nil)
	server, _ := core.Server(c2, nil)
	defer server.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello over netmux, %s", r.URL.Query().Get("name"))
	})
	served := make(chan error, 1)
	go func() { served <- http.Serve(server, mux) }()

	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			st, err := client.OpenStream(ctx)
			if err != nil {
				return nil, err
			}
			return st, nil
		},
	}
	hc := &http.Client{Transport: tr}
	for _, name := range []string{"alice", "bob"} {
		// The host name is not resolved: every request rides the session.
		resp, err := hc.Get("http://netmux/hello?name=" + name)
		if err != nil {
			log.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %s\n", resp.Status, body)
	}

	tr.CloseIdleConnections()
	client.Close()
	err := <-served // Accept fails once the session has ended
	fmt.Println("Serve returned net.ErrClosed:", errors.Is(err, net.ErrClosed))
	// Output:
	// 200 OK: hello over netmux, alice
	// 200 OK: hello over netmux, bob
	// Serve returned net.ErrClosed: true
}

// Shutdown drains a session: it sends GoAway(Normal), refuses new streams
// both ways, lets the open ones finish and then closes. The peer's session
// ends with a *core.GoAwayError carrying core.CodeNormal.
func ExampleSession_Shutdown() {
	c1, c2 := net.Pipe()
	client, _ := core.Client(c1, nil)
	server, _ := core.Server(c2, nil)
	defer client.Close()

	// A request in flight when the server starts shutting down.
	st, err := client.OpenStream(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	st.Write([]byte("slow request"))
	sst, err := server.AcceptStream(context.Background())
	if err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- server.Shutdown(ctx) }()

	// The in-flight stream still completes: the server answers and
	// closes, the client reads the answer and closes too.
	go func() {
		defer sst.Close()
		req := make([]byte, len("slow request"))
		io.ReadFull(sst, req)
		fmt.Fprintf(sst, "done: %s", req)
	}()
	reply, err := io.ReadAll(st)
	if err != nil {
		log.Fatal(err)
	}
	st.Close()
	fmt.Println(string(reply))
	fmt.Println("Shutdown:", <-shut) // once both streams' ends have closed

	<-client.Done()
	var ga *core.GoAwayError
	if errors.As(client.Err(), &ga) {
		fmt.Println("client saw GoAway, normal:", ga.Code == core.CodeNormal, "remote:", ga.Remote)
	}
	// Output:
	// done: slow request
	// Shutdown: <nil>
	// client saw GoAway, normal: true remote: true
}
