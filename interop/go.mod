module github.com/netmux/netmux/interop

go 1.25.0

require (
	github.com/hashicorp/yamux v0.1.2
	github.com/libp2p/go-yamux/v5 v5.1.0
	github.com/netmux/netmux v0.0.0
	github.com/xtaci/smux v1.5.58
	go.uber.org/goleak v1.3.0
)

require (
	github.com/libp2p/go-buffer-pool v0.0.2 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
)

replace github.com/netmux/netmux => ../
