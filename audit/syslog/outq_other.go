//go:build !linux

package syslog

import "net"

// unacked cannot ask the kernel here; see conn.acked.
func unacked(*net.TCPConn) (int64, bool) { return 0, false }
