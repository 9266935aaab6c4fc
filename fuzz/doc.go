// Package fuzz holds netmux's fuzz targets. It has no non-test code: run the
// seed corpora with `go test ./fuzz` and fuzz one target with
// `go test ./fuzz -run '^$' -fuzz '^FuzzDecode$'`.
package fuzz
