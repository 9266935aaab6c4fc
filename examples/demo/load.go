package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// load describes the downloads to drive through the tunnel.
type load struct {
	url       string // base URL of the public port
	files     []file
	workers   int
	requests  int
	keepAlive bool // reuse connections (and so streams) between requests
}

// result sums up a finished load.
type result struct {
	requests  int
	bytes     int64
	elapsed   time.Duration
	latencies []time.Duration // per request, sorted
	failures  []error
}

// run downloads files round robin with l.workers concurrent workers,
// checks the size and SHA-256 of every download, and calls done after each
// request with the bytes it moved. It stops early only if ctx ends.
func (l load) run(ctx context.Context, done func(n int64)) result {
	tr := &http.Transport{
		DisableKeepAlives:   !l.keepAlive,
		DisableCompression:  true,
		MaxIdleConnsPerHost: l.workers,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}

	jobs := make(chan int)
	var (
		mu  sync.Mutex
		res result
		wg  sync.WaitGroup
	)
	start := time.Now()
	for range l.workers {
		wg.Go(func() {
			for i := range jobs {
				f := l.files[i%len(l.files)]
				t0 := time.Now()
				n, err := fetch(ctx, client, l.url+f.path, f)
				lat := time.Since(t0)
				mu.Lock()
				res.requests++
				res.bytes += n
				res.latencies = append(res.latencies, lat)
				if err != nil {
					res.failures = append(res.failures, fmt.Errorf("request %d %s: %w", i, f.path, err))
				}
				mu.Unlock()
				done(n)
			}
		})
	}
feed:
	for i := range l.requests {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(res.latencies)
	return res
}

// fetch downloads url and checks that it is exactly f; it returns the
// bytes received.
func fetch(ctx context.Context, client *http.Client, url string, f file) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	switch {
	case err != nil:
		return n, err
	case resp.StatusCode != http.StatusOK:
		return n, fmt.Errorf("status %s", resp.Status)
	case n != int64(len(f.data)):
		return n, fmt.Errorf("got %d bytes, want %d", n, len(f.data))
	case [sha256.Size]byte(h.Sum(nil)) != f.sum:
		return n, fmt.Errorf("content differs (sha256 %x, want %x)", h.Sum(nil), f.sum)
	}
	return n, nil
}

// percentile returns the p-th percentile (0 < p <= 100) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
