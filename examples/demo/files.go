package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// file is one generated download: deterministic bytes and their digest.
type file struct {
	path string
	data []byte
	sum  [sha256.Size]byte
}

// makeFiles generates one file per size; the bytes are a ChaCha8 stream
// seeded by the file's index, the same on every run.
func makeFiles(sizes []int) []file {
	files := make([]file, len(sizes))
	for i, n := range sizes {
		var seed [32]byte
		binary.LittleEndian.PutUint64(seed[:], uint64(i+1))
		data := make([]byte, n)
		rand.NewChaCha8(seed).Read(data)
		files[i] = file{
			path: fmt.Sprintf("/files/%d-%s.bin", i, sizeName(n)),
			data: data,
			sum:  sha256.Sum256(data),
		}
	}
	return files
}

// fileHandler serves the files by path.
func fileHandler(files []file) http.Handler {
	mux := http.NewServeMux()
	for _, f := range files {
		mux.HandleFunc("GET "+f.path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			http.ServeContent(w, r, f.path, time.Time{}, bytes.NewReader(f.data))
		})
	}
	return mux
}

// sizeName writes n in the largest binary unit that divides it.
func sizeName(n int) string {
	for _, u := range []struct {
		suffix string
		size   int
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d%s", n/u.size, u.suffix)
		}
	}
	return fmt.Sprintf("%dB", n)
}

// parseSizes parses a comma-separated list of sizes such as
// "64KiB,1MiB,123".
func parseSizes(s string) ([]int, error) {
	var sizes []int
	for _, field := range strings.Split(s, ",") {
		field = strings.TrimSpace(field)
		mult := 1
		for _, u := range []struct {
			suffix string
			size   int
		}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
			if num, ok := strings.CutSuffix(field, u.suffix); ok {
				field, mult = num, u.size
				break
			}
		}
		n, err := strconv.Atoi(field)
		if err != nil || n < 0 || n > 1<<30/mult {
			return nil, fmt.Errorf("bad size %q (want e.g. 64KiB, 8MiB, 1000)", field)
		}
		sizes = append(sizes, n*mult)
	}
	return sizes, nil
}
