package warm

import (
	"sync"
	"testing"
	"time"
)

// Work handed in one piece after another, each once the last has ended,
// runs on the goroutine the first one started.
func TestSequentialWorkReusesOneGoroutine(t *testing.T) {
	p := New(time.Minute)
	const n = 200
	ran := 0
	for range n {
		done := make(chan struct{})
		p.Go(func() { ran++; close(done) })
		<-done
		time.Sleep(200 * time.Microsecond) // the goroutine is back waiting
	}
	if ran != n {
		t.Fatalf("%d of %d pieces ran", ran, n)
	}
	// A goroutine late back to its wait now and then starts another; a
	// pool that kept none would have started n.
	if s := p.Started(); s > 5 {
		t.Fatalf("%d goroutines started for %d pieces of work one after another", s, n)
	}
}

// Go never waits for a busy goroutine: pieces of work that block each
// other's end all run at once.
func TestGoNeverQueuesBehindRunningWork(t *testing.T) {
	p := New(time.Minute)
	const n = 10
	var running sync.WaitGroup
	running.Add(n)
	release := make(chan struct{})
	for range n {
		p.Go(func() { running.Done(); <-release })
	}
	all := make(chan struct{})
	go func() { running.Wait(); close(all) }()
	select {
	case <-all:
	case <-time.After(10 * time.Second):
		t.Fatal("work handed to the pool waited behind work still running")
	}
	close(release)
	if s := p.Started(); s != n {
		t.Fatalf("%d goroutines for %d pieces running at once", s, n)
	}
}

// A goroutine idle for longer than the pool's idle time ends; the next
// piece of work starts a new one.
func TestIdleGoroutinesEnd(t *testing.T) {
	p := New(5 * time.Millisecond)
	done := make(chan struct{})
	p.Go(func() { close(done) })
	<-done
	time.Sleep(100 * time.Millisecond)
	done = make(chan struct{})
	p.Go(func() { close(done) })
	<-done
	if s := p.Started(); s != 2 {
		t.Fatalf("%d goroutines started; want the idle one gone and a new one", s)
	}
}

// deep uses about n KiB of stack.
func deep(n int) byte {
	var buf [1024]byte
	buf[n%1024] = byte(n)
	if n == 0 {
		return buf[0]
	}
	return deep(n-1) + buf[n%1024]
}

var sink byte

// BenchmarkDeepWork is a piece of work that needs 32 KiB of stack, on a
// new goroutine and on the pool's.
func BenchmarkDeepWork(b *testing.B) {
	run := func(b *testing.B, start func(func())) {
		done := make(chan byte)
		for b.Loop() {
			start(func() { done <- deep(32) })
			sink = <-done
		}
	}
	b.Run("go", func(b *testing.B) { run(b, func(fn func()) { go fn() }) })
	p := New(time.Minute)
	b.Run("warm", func(b *testing.B) { run(b, p.Go) })
}
