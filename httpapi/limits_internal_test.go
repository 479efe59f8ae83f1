package httpapi

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiterBucket(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	l := NewLimiter(Rate{PerSecond: 2, Burst: 10}, func() time.Time { return now })
	for i := 0; i < 10; i++ {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d refused within the burst", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait <= 0 || wait > 500*time.Millisecond {
		t.Fatalf("11th: ok=%v wait=%v", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another key shares the bucket")
	}
	now = now.Add(500 * time.Millisecond) // one token back
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("refill did not happen")
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("refilled more than the rate")
	}
	now = now.Add(time.Hour) // never more than the burst
	n := 0
	for {
		if ok, _ := l.Allow("a"); !ok {
			break
		}
		n++
	}
	if n != 10 {
		t.Fatalf("after a long idle: %d allowed, want the burst 10", n)
	}
	off := NewLimiter(Rate{PerSecond: -1}, nil)
	for i := 0; i < 1000; i++ {
		if ok, _ := off.Allow("a"); !ok {
			t.Fatal("disabled limiter refused")
		}
	}
}

func TestLimiterMemoryBounded(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	l := NewLimiter(Rate{PerSecond: 1, Burst: 2}, func() time.Time { return now })
	l.max = 1000
	for i := 0; i < 20_000; i++ {
		l.Allow(fmt.Sprint("key", i))
		if i%100 == 0 {
			now = now.Add(time.Millisecond)
		}
	}
	if n := l.Len(); n > 1000 {
		t.Fatalf("%d buckets kept, max 1000", n)
	}
	// idle, refilled buckets are the ones dropped first
	now = now.Add(time.Minute)
	l.Allow("fresh")
	for i := 0; i < 2000; i++ {
		l.Allow(fmt.Sprint("more", i))
	}
	if n := l.Len(); n > 1000 {
		t.Fatalf("%d buckets kept, max 1000", n)
	}
}
