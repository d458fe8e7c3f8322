package syslog_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/audit/syslog"
	"github.com/unlockbot/unlockbot/audit/syslog/syslogtest"
)

// rsyslogConf receives on imtcp and writes the fields a SIEM would index,
// one record per line, with the message untouched.
const rsyslogConf = `global(workDirectory="%[1]s" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="%[2]s")
template(name="fields" type="string" string="%%syslogfacility%%|%%syslogseverity%%|%%app-name%%|%%msgid%%|%%structured-data%%|%%msg%%\n")
*.* action(type="omfile" file="%[1]s/out.log" template="fields")
`

// TestRsyslogReadsWhatWeSend is an interoperability check against a real
// receiver: Debian's rsyslog (apt-get install rsyslog). It is skipped when
// rsyslogd is not installed; the strict in-test receiver covers the format.
func TestRsyslogReadsWhatWeSend(t *testing.T) {
	bin, err := exec.LookPath("rsyslogd")
	if err != nil {
		bin, err = exec.LookPath("/usr/sbin/rsyslogd")
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("rsyslogd is not installed; .ci/services.sh installs it (bash .ci/tools.sh)")
		}
		t.Skip("rsyslogd is not installed; run bash .ci/tools.sh to run this interop check")
	}
	dir := t.TempDir()
	addr := syslogtest.FreeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	conf := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, rsyslogConf, dir, port), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	cmd := exec.Command(bin, "-n", "-f", conf, "-i", filepath.Join(dir, "rsyslogd.pid"))
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	keys, _ := testKeys(t)
	s := newSink(t, syslog.Options{Network: "tcp", Addr: addr, Keys: keys})
	const n = 200
	for i := 0; i < n; i++ {
		e := event(i)
		if i == 7 {
			e.Org = `ac]me"\`
		}
		if err := s.Write(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	shutdown(t, s, 15*time.Second)

	var lines [][]byte
	deadline := time.Now().Add(10 * time.Second)
	for len(lines) < n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		b, _ := os.ReadFile(filepath.Join(dir, "out.log"))
		lines = bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	}
	if len(lines) != n {
		t.Fatalf("rsyslog wrote %d records, want %d; its output: %s", len(lines), n, logs.String())
	}
	v := audit.NewVerifier(keys)
	keptBOM := 0
	for i, l := range lines {
		f := bytes.SplitN(l, []byte("|"), 6)
		if len(f) != 6 || string(f[0]) != "13" || string(f[2]) != "unlockbot" || string(f[3]) != "reset.password_set" {
			t.Fatalf("rsyslog line %d: %q", i, l)
		}
		if !bytes.Contains(f[4], fmt.Appendf(nil, `seq="%d"`, i+1)) {
			t.Fatalf("rsyslog line %d: structured data %q", i, f[4])
		}
		msg := f[5]
		if bytes.HasPrefix(msg, []byte("\xEF\xBB\xBF")) {
			keptBOM++
			msg = msg[3:]
		}
		if _, err := v.Next(msg); err != nil {
			t.Fatalf("rsyslog line %d does not verify: %v", i, err)
		}
	}
	if !strings.Contains(string(lines[7]), `org="ac\]me\"\\"`) {
		t.Fatalf("rsyslog structured data for the hostile org: %q", lines[7])
	}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		t.Logf("rsyslogd: %s", sc.Text())
	}
	t.Logf("rsyslog kept the BOM in %d of %d messages", keptBOM, n)
}
