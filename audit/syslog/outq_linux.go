package syslog

import (
	"net"

	"golang.org/x/sys/unix"
)

// unacked is the kernel's count of bytes in the send queue: not sent yet
// or not acknowledged by the peer (SIOCOUTQ).
func unacked(c *net.TCPConn) (int64, bool) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, false
	}
	var n int
	var ierr error
	if err := rc.Control(func(fd uintptr) { n, ierr = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ) }); err != nil || ierr != nil {
		return 0, false
	}
	return int64(n), true
}
