package pipeline

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSlotsBoundConcurrentWork(t *testing.T) {
	s := NewSlots(2)
	var now, peak atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := s.Acquire(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			defer release()
			n := now.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			now.Add(-1)
		}()
	}
	wg.Wait()
	if p := peak.Load(); p != 2 {
		t.Fatalf("peak concurrent holders %d, want 2", p)
	}
	// a waiter gives up with its context
	r1, _ := s.Acquire(context.Background())
	r2, _ := s.Acquire(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Acquire(ctx); err == nil {
		t.Fatal("acquired a third slot of two")
	}
	r1()
	r2()
	if s.Busy() != 0 || s.Cap() != 2 {
		t.Fatalf("busy %d cap %d", s.Busy(), s.Cap())
	}
}
