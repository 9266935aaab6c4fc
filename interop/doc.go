// Package interop tests netmux against real third-party multiplexers
// (xtaci/smux, hashicorp/yamux), one file per peer. It is a module of its
// own so that those libraries stay out of the module graph of netmux users.
package interop
