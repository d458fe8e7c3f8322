package main

import (
	"cmp"
	"time"
)

// checkLease keeps the lease between the longest directory call and the
// shortest approval window. A lease shorter than one call lets another
// replica take over while the write is still on its way (and, seeing no
// change yet, write again); a lease longer than the approval window turns
// every crash into an approval that has lapsed before anyone may resume it.
func (c *Config) checkLease(bad func(key, format string, args ...any)) {
	lease := c.Recovery.Lease
	for i, o := range c.Orgs {
		d := o.Directory
		if d.Kind == "ad" || d.Kind == "ldap" {
			call := cmp.Or(d.DialTimeout, 5*time.Second) + cmp.Or(d.OpTimeout, 10*time.Second)
			if lease < 2*call {
				bad("recovery.lease", "%s is shorter than twice orgs[%d]'s longest directory call (dial_timeout + op_timeout = %s): a replica could take over a write still under way", lease, i, call)
			}
		}
		if ttl := cmp.Or(o.Policy.ApprovalTTL, time.Hour); lease >= ttl {
			bad("recovery.lease", "%s is not shorter than orgs[%d].policy.approval_ttl (%s): a reset interrupted by a crash could not be resumed before its approval lapses", lease, i, ttl)
		}
	}
}
