package redisstream

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/audit"
)

// childEnv names the stream a re-executed test binary writes to as a
// child writer process instead of running the tests.
const childEnv = "REDISSTREAM_TEST_CHILD_STREAM"

// childClusterEnv, when set, makes the child write to the test cluster.
const childClusterEnv = "REDISSTREAM_TEST_CHILD_CLUSTER"

const (
	childEvents     = 300
	childGoroutines = 4
)

func TestMain(m *testing.M) {
	if stream := os.Getenv(childEnv); stream != "" {
		os.Exit(childWriter(stream, os.Getenv("REDISSTREAM_TEST_CHILD_NAME")))
	}
	os.Exit(m.Run())
}

// childWriter is one replica: it waits for the parent's go (a line on
// stdin) so the processes really overlap, writes childEvents events from
// childGoroutines goroutines through one Sink, and prints its conflicts.
func childWriter(stream, name string) int {
	var (
		c   redis.UniversalClient
		err error
	)
	if os.Getenv(childClusterEnv) != "" {
		c = redis.NewClusterClient(&redis.ClusterOptions{Addrs: clusterAddrs()})
	} else {
		c, err = dial()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer c.Close()
	keys, _ := audit.NewKeyring("k1", map[string][]byte{"k1": testKey})
	s, err := New(Options{Client: c, Stream: stream, Keys: keys, Timeout: 10 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		fmt.Fprintln(os.Stderr, "no go from the parent:", err)
		return 2
	}
	var wg sync.WaitGroup
	errs := make(chan error, childGoroutines)
	for g := range childGoroutines {
		wg.Go(func() {
			for i := g; i < childEvents; i += childGoroutines {
				e := event("request.submitted", fmt.Sprintf("%s-%d", name, i))
				if err := s.Write(context.Background(), e); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("conflicts", s.Conflicts())
	return 0
}

// Two OS processes (replicas), each with several goroutines, append to one
// stream at once: the trail is one chain, seq 1..N with no gap, holding
// every event exactly once.
func TestTwoProcessesKeepOneChain(t *testing.T) { testTwoProcesses(t, testClient(t), false) }

func testTwoProcesses(t *testing.T, c redis.UniversalClient, cluster bool) {
	stream := testStream(t, c)
	names := []string{"alpha", "beta"}
	type child struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   *bufio.Reader
	}
	var kids []child
	for _, name := range names {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), childEnv+"="+stream, "REDISSTREAM_TEST_CHILD_NAME="+name)
		if cluster {
			cmd.Env = append(cmd.Env, childClusterEnv+"=1")
		}
		cmd.Stderr = os.Stderr
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		k := child{cmd, stdin, bufio.NewReader(stdout)}
		if l, err := k.out.ReadString('\n'); l != "ready\n" {
			t.Fatalf("child %s: %q %v", name, l, err)
		}
		kids = append(kids, k)
	}
	for _, k := range kids {
		io.WriteString(k.stdin, "go\n")
	}
	var conflicts uint64
	for i, k := range kids {
		rest, _ := io.ReadAll(k.out)
		if err := k.cmd.Wait(); err != nil {
			t.Fatalf("child %s: %v", names[i], err)
		}
		n, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(string(rest)), "conflicts "), 10, 64)
		if err != nil {
			t.Fatalf("child %s said %q", names[i], rest)
		}
		conflicts += n
	}
	// Without a race the test would prove nothing about concurrency.
	if conflicts == 0 {
		t.Fatal("the two processes never raced for the head; the test did not exercise concurrency")
	}
	t.Logf("%d conflicts resolved by re-sealing", conflicts)

	ctx := context.Background()
	total := len(names) * childEvents
	n, err := Verify(ctx, c, stream, testKeys(t))
	if err != nil || n != total {
		t.Fatalf("Verify = %d, %v; want %d records in one chain", n, err, total)
	}
	seen := map[string]int{}
	keys := testKeys(t)
	for i, m := range xrangeAll(t, c, stream) {
		r, err := keys.Open([]byte(m.Values["r"].(string)))
		if err != nil || r.Seq != uint64(i+1) {
			t.Fatalf("entry %d: seq %d, %v", i+1, r.Seq, err)
		}
		seen[r.RequestID]++
	}
	for _, name := range names {
		for i := range childEvents {
			if id := fmt.Sprintf("%s-%d", name, i); seen[id] != 1 {
				t.Errorf("event %s is in the trail %d times, want once", id, seen[id])
			}
		}
	}
	if len(seen) != total {
		t.Errorf("%d distinct events in the trail, want %d", len(seen), total)
	}
}

func xrangeAll(t testing.TB, c redis.UniversalClient, stream string) []redis.XMessage {
	t.Helper()
	msgs, err := c.XRange(context.Background(), stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}
