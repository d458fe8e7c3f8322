package jobqueue

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
)

// childEnv names the stream a re-executed test binary consumes as a
// replica whose handler never returns, instead of running the tests.
const childEnv = "JOBQUEUE_TEST_CHILD_STREAM"

const childVisibility = time.Second

func TestMain(m *testing.M) {
	if stream := os.Getenv(childEnv); stream != "" {
		os.Exit(child(stream))
	}
	os.Exit(m.Run())
}

// child is a replica that takes one job, says so on stdout and hangs in
// its handler until it is killed.
func child(stream string) int {
	opt, err := redis.ParseURL(os.Getenv("JOBQUEUE_TEST_REDIS"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	c := redis.NewClient(opt)
	q, err := New(Options{Client: c, Stream: stream, Consumer: "doomed", Workers: 1, Visibility: childVisibility})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	q.Start(func(_ context.Context, j bot.Job) {
		fmt.Printf("started %s %d\n", j.RequestID, j.Delivery)
		select {}
	})
	q.Listen()
	select {}
}

// A replica killed (SIGKILL: no deferred code runs) while its handler runs
// leaves the job pending; another replica takes it over once it has gone
// unrefreshed for the visibility timeout, and runs it once, as a second
// delivery.
func TestKilledConsumerJobIsTakenOver(t *testing.T) {
	c := client(t)
	stream := newStream(t, c)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+stream, "JOBQUEUE_TEST_REDIS="+storetest.RedisURL(t))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	q, err := New(Options{Client: c, Stream: stream, Visibility: childVisibility, Log: testLog()})
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, q, job("orphan"))
	select {
	case l := <-lines:
		if !strings.HasPrefix(l, "started orphan 1") {
			t.Fatalf("child said %q", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the child replica never took the job")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killed := time.Now()

	r := newRan()
	q.Start(func(_ context.Context, j bot.Job) { r.add(j) })
	q.Listen()
	t.Cleanup(func() { _ = q.Drain(context.Background()) })
	r.wait(t, 1, 10*time.Second)
	took := time.Since(killed)
	got := r.last()
	if got.RequestID != "orphan" || got.Delivery != 2 {
		t.Fatalf("survivor got %+v, want the orphan as delivery 2", got)
	}
	// The child refreshed it every visibility/4 until it died, so the
	// entry became claimable at least 3/4 of the timeout after the kill.
	if took < childVisibility*3/4-50*time.Millisecond {
		t.Errorf("taken over %s after the kill, before its visibility timeout (%s)", took, childVisibility)
	}
	t.Logf("taken over %s after the kill (visibility %s)", took, childVisibility)
	settled(t, c, stream)
	time.Sleep(2 * childVisibility)
	if n := r.total(); n != 1 {
		t.Fatalf("the orphan ran %d times on the survivor, want once", n)
	}
}
