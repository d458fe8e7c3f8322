#!/usr/bin/env bash
# A throwaway Samba AD domain controller on loopback for the identity/ldap tests.
#
#   .ci/samba.sh           provision once (or start the provisioned DC), idempotent
#   .ci/samba.sh --reset   restore the clean snapshot and restart (1-2 s; restore alone 0.3 s)
#   .ci/samba.sh --stop    stop the DC
#   .ci/samba.sh --fresh   wipe everything and provision from nothing
#   .ci/samba.sh --status  exit 0 when the DC answers on ldaps://127.0.0.1:636
#
# Runs as root on Debian 12 and installs what it needs. Everything lives in
# ${UNLOCKBOT_LAB_DIR:-/var/lib/unlockbot-lab}/samba; the fixed passwords below are
# for this lab only and are written, with URLs and DNs, to samba/lab.env.
# The LDAP ports (389, 636, 3268, 3269) are fixed: one DC per network namespace.
set -euo pipefail

LAB_ROOT=${UNLOCKBOT_LAB_DIR:-/var/lib/unlockbot-lab}
DIR=$LAB_ROOT/samba
SNAP=$LAB_ROOT/samba-snapshot.tar.gz
CONF=$DIR/etc/smb.conf
MARK=$DIR/.provisioned
PIDFILE=$DIR/run/samba.pid
STDOUT_LOG=$DIR/log/samba-stdout.log

REALM=EXAMPLE.TEST
DOMAIN=EXAMPLE
BASE_DN=DC=example,DC=test
STAFF_DN=OU=Staff,$BASE_DN
OUTSIDE_DN=OU=Outside,$BASE_DN
ADMIN_PW='Lab-Passw0rd!Admin1'
BOT_PW='Lab-Passw0rd!Bot1'
USER_PW='Lab-Passw0rd!User1'
# pso1's password: the fine-grained policy "PSO Strict" wants 24 characters.
PSO_USER_PW='Lab-Passw0rd!User1-Strict-PSO24'

# Schema GUIDs for the delegation on OU=Staff (MS-ADTS).
GUID_USER_CLASS=bf967aba-0de6-11d0-a285-00aa003049e2
GUID_RESET_PASSWORD=00299570-246d-11d0-a768-00aa006e0529
GUID_LOCKOUT_TIME=28630ebf-41d5-11d1-a9c1-0000f80367c1
GUID_PWD_LAST_SET=bf967a0a-0de6-11d0-a285-00aa003049e2
GUID_ADMIN_COUNT=bf967918-0de6-11d0-a285-00aa003049e2
GUID_USER_ACCOUNT_CONTROL=bf967a68-0de6-11d0-a285-00aa003049e2
GUID_MEMBER=bf9679c0-0de6-11d0-a285-00aa003049e2
# LAB_REV names what provision builds; a lab or snapshot of another
# revision is provisioned again (lab_main). 2: the bot may write /lock's attributes.
LAB_REV=2
PSO_DN="CN=Strict,CN=Password Settings Container,CN=System,$BASE_DN"

T_START=$(date +%s%N)
T_LAST=$T_START
LAB_NAME=samba.sh
LAB_SERVICE=samba-ad-dc
LAB_PROC=samba
# shellcheck source=lab-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab-lib.sh"
ensure_packages() {
	ensure_policy_rc
	if command -v samba-tool >/dev/null && command -v ldapsearch >/dev/null && command -v openssl >/dev/null; then
		return 0
	fi
	local pkgs=(samba samba-ad-dc samba-ad-provision samba-dsdb-modules winbind ldap-utils openssl)
	export DEBIAN_FRONTEND=noninteractive
	mkdir -p "$LAB_ROOT"
	local log=$LAB_ROOT/apt-samba.log
	{
		if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
			apt-get update -q
		fi
		apt-get install -y -q --no-install-recommends "${pkgs[@]}" ||
			{ apt-get update -q && apt-get install -y -q --no-install-recommends "${pkgs[@]}"; }
	} >"$log" 2>&1 || {
		tail -n 20 "$log" >&2
		die "apt-get install ${pkgs[*]} failed; log: $log"
	}
	lap "apt-get install"
}

# answers reports whether our DC (verified with our CA) answers on LDAPS.
answers() {
	[[ -f $DIR/tls/ca.pem ]] || return 1
	LDAPTLS_CACERT=$DIR/tls/ca.pem ldapsearch -x -H ldaps://127.0.0.1:636 -o nettimeout=2 \
		-s base -b '' -LLL dn >/dev/null 2>&1
}

# someone_answers reports whether anything at all answers on 636.
someone_answers() {
	LDAPTLS_REQCERT=never ldapsearch -x -H ldaps://127.0.0.1:636 -o nettimeout=2 \
		-s base -b '' -LLL dn >/dev/null 2>&1
}

start() {
	local i pid
	if our_pid >/dev/null && answers; then
		return 0
	fi
	rm -f "$DIR"/run/*.pid
	if someone_answers; then
		die "another LDAP server already listens on 127.0.0.1:636; stop it first"
	fi
	mkdir -p "$DIR/run" "$DIR/log"
	pid=$(spawn samba -s "$CONF" -F -M single --debug-stdout -d1)
	for i in $(seq 400); do
		answers && break
		if ! alive "$pid"; then
			tail -n 30 "$STDOUT_LOG" >&2
			die "samba exited during start; log: $STDOUT_LOG"
		fi
		sleep 0.05
	done
	answers || {
		tail -n 30 "$STDOUT_LOG" >&2
		die "samba did not answer on ldaps://127.0.0.1:636 within 20 s; log: $STDOUT_LOG"
	}
	lap "started samba (pid $pid)"
}

st() { samba-tool "$@" -s "$CONF" >/dev/null; }

provision() {
	stop discard
	rm -rf "$DIR"
	mkdir -p "$DIR/etc" "$DIR/run" "$DIR/log"
	: >"$DIR/empty.conf"
	make_certs
	# -s on an empty file keeps provision from merging /etc/samba/smb.conf.
	samba-tool domain provision -s "$DIR/empty.conf" --targetdir="$DIR" \
		--realm="$REALM" --domain="$DOMAIN" --server-role=dc --dns-backend=NONE \
		--adminpass="$ADMIN_PW" --host-name=dc1 \
		--option="interfaces=lo" --option="bind interfaces only=yes" --option="server services=ldap" \
		--option="pid directory=$DIR/run" --option="log file=$DIR/log/samba.log" \
		--option="ncalrpc dir=$DIR/run/ncalrpc" --option="winbindd socket directory=$DIR/run/winbindd" \
		--option="ntp signd socket directory=$DIR/run/ntp_signd" \
		--option="tls keyfile=$DIR/tls/key.pem" --option="tls certfile=$DIR/tls/cert.pem" \
		--option="tls cafile=$DIR/tls/ca.pem" >"$DIR/log/provision.log" 2>&1 ||
		{
			tail -n 30 "$DIR/log/provision.log" >&2
			die "provision failed; log: $DIR/log/provision.log"
		}
	# Provision drops this option; the default (60 min) lets the OLD password
	# keep working after a reset, which would make Verify lie.
	grep -q 'old password allowed period' "$CONF" ||
		sed -i 's/^\[global\]$/[global]\n\told password allowed period = 0/' "$CONF"
	lap "domain provision"

	st domain passwordsettings set --complexity=on --account-lockout-threshold=3 \
		--account-lockout-duration=5 --reset-account-lockout-after=5 --min-pwd-age=0
	lap "password policy"

	# One Python process with Samba's own library (the calls behind samba-tool
	# ou create / user create / dsacl set / group add / group addmembers): about
	# 1 s instead of 0.6 s for each of twenty samba-tool runs.
	SAMBA_CONF=$CONF LAB_USER_PW=$USER_PW LAB_BOT_PW=$BOT_PW LAB_PSO_USER_PW=$PSO_USER_PW /usr/bin/python3 - <<PY
import os
from samba.auth import system_session
from samba.dcerpc import security
from samba.ndr import ndr_unpack
from samba.param import LoadParm
from samba.samdb import SamDB
from samba.sd_utils import SDUtils

lp = LoadParm()
lp.load(os.environ["SAMBA_CONF"])
db = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
pw = os.environ["LAB_USER_PW"]

db.create_ou("$STAFF_DN")
db.create_ou("$OUTSIDE_DN")

# The bot lives in CN=Users: delegated on OU=Staff only, never an admin.
db.newuser("svc-unlockbot", os.environ["LAB_BOT_PW"], description="unlockbot delegated service account")
res = db.search(base=db.domain_dn(), expression="(sAMAccountName=svc-unlockbot)", attrs=["objectSid"])
sid = str(ndr_unpack(security.dom_sid, res[0]["objectSid"][0]))
# Inherit-only ACEs for user objects below OU=Staff: Reset Password, write
# lockoutTime, write pwdLastSet; plus read on the OU and everything below.
user_class = "$GUID_USER_CLASS"
SDUtils(db).dacl_add_ace("$STAFF_DN",
    "(OA;CIIO;CR;$GUID_RESET_PASSWORD;%s;%s)" % (user_class, sid) +
    "(OA;CIIO;WP;$GUID_LOCKOUT_TIME;%s;%s)" % (user_class, sid) +
    "(OA;CIIO;WP;$GUID_PWD_LAST_SET;%s;%s)" % (user_class, sid) +
    "(A;CI;RPLCLORC;;;%s)" % sid)

for user, given, sur in [("alice", "Alice", "Smith"), ("bob", "Bob", "Jones"), ("carol", "Carol", "White")]:
    db.newuser(user, pw, userou="OU=Staff", givenname=given, surname=sur, useusernameascn=None,
               mailaddress=user + "@example.test")
for user in ("dadmin", "nadmin", "acount", "disabled1", "intent1"):
    db.newuser(user, pw, userou="OU=Staff")
db.newuser("outsider", pw, userou="OU=Outside")
db.disable_account("(sAMAccountName=disabled1)")
db.newgroup("IT Tier0", groupou="OU=Staff")
db.newgroup("Intentional Lock", groupou="OU=Staff")
db.add_remove_group_members("Domain Admins", ["dadmin", "IT Tier0"])
db.add_remove_group_members("IT Tier0", ["nadmin"])
db.add_remove_group_members("Intentional Lock", ["intent1"])
# /lock: the bot writes member on this one group and userAccountControl
# (to set or clear ACCOUNTDISABLE) on users below OU=Staff; nothing else.
SDUtils(db).dacl_add_ace("CN=Intentional Lock,$STAFF_DN", "(OA;;WP;$GUID_MEMBER;;%s)" % sid)
SDUtils(db).dacl_add_ace("$STAFF_DN", "(OA;CIIO;WP;$GUID_USER_ACCOUNT_CONTROL;%s;%s)" % (user_class, sid))

# cryptop: a member of the builtin Cryptographic Operators (S-1-5-32-569).
db.newuser("cryptop", pw, userou="OU=Staff")
db.add_remove_group_members("Cryptographic Operators", ["cryptop"])

# hiddenac: adminCount=1 (written over LDAP below) that the bot may not read:
# a deny-read ACE for the bot on adminCount, first in the DACL.
db.newuser("hiddenac", pw, userou="OU=Staff")
SDUtils(db).dacl_add_ace("CN=hiddenac,$STAFF_DN", "(OD;;RP;$GUID_ADMIN_COUNT;;%s)" % sid)

# pso1 and a fine-grained password policy (PSO) stricter than the domain's:
# 24 characters, complexity, a 10-day maximum age, the same lockout (3 bad
# binds, 5 minutes) so ldaptest.Lock works on it too.
db.newuser("pso1", os.environ["LAB_PSO_USER_PW"], userou="OU=Staff")
db.newgroup("PSO Strict", groupou="OU=Staff")
db.add_remove_group_members("PSO Strict", ["pso1"])
minutes, days = 60 * 10**7, 86400 * 10**7  # negative 100 ns intervals, as AD stores them
db.add({"dn": "$PSO_DN", "objectClass": "msDS-PasswordSettings",
        "msDS-PasswordSettingsPrecedence": "10", "msDS-PasswordReversibleEncryptionEnabled": "FALSE",
        "msDS-PasswordHistoryLength": "0", "msDS-PasswordComplexityEnabled": "TRUE",
        "msDS-MinimumPasswordLength": "24", "msDS-MinimumPasswordAge": "0",
        "msDS-MaximumPasswordAge": str(-10 * days), "msDS-LockoutThreshold": "3",
        "msDS-LockoutObservationWindow": str(-5 * minutes), "msDS-LockoutDuration": str(-5 * minutes),
        "msDS-PSOAppliesTo": "CN=PSO Strict,$STAFF_DN"})
PY
	lap "OUs, bot + delegation, users, groups, PSO"

	write_env
	start
	# adminCount is set the way a real domain gets it: by an LDAP write.
	local u
	for u in acount hiddenac; do
		printf 'dn: CN=%s,%s\nchangetype: modify\nreplace: adminCount\nadminCount: 1\n' "$u" "$STAFF_DN" |
			LDAPTLS_CACERT=$DIR/tls/ca.pem ldapmodify -x -H ldaps://127.0.0.1:636 \
				-D "CN=Administrator,CN=Users,$BASE_DN" -w "$ADMIN_PW" >/dev/null
	done
	# Prove the delegated bot can bind and sees the fixtures.
	local n
	n=$(LDAPTLS_CACERT=$DIR/tls/ca.pem ldapsearch -x -H ldaps://127.0.0.1:636 \
		-D "CN=svc-unlockbot,CN=Users,$BASE_DN" -w "$BOT_PW" -b "$STAFF_DN" -LLL \
		'(&(objectClass=user)(adminCount=1))' dn | grep -c '^dn: ' || true)
	# hiddenac's adminCount is hidden from the bot: it sees one, the administrator two.
	[[ $n == 1 ]] || die "fixture check failed: expected the bot to see 1 adminCount=1 user in OU=Staff, got $n"
	n=$(LDAPTLS_CACERT=$DIR/tls/ca.pem ldapsearch -x -H ldaps://127.0.0.1:636 \
		-D "CN=Administrator,CN=Users,$BASE_DN" -w "$ADMIN_PW" -b "$STAFF_DN" -LLL \
		'(&(objectClass=user)(adminCount=1))' dn | grep -c '^dn: ' || true)
	[[ $n == 2 ]] || die "fixture check failed: expected 2 adminCount=1 users in OU=Staff (acount, hiddenac), got $n"
	n=$(LDAPTLS_CACERT=$DIR/tls/ca.pem ldapsearch -x -H ldaps://127.0.0.1:636 \
		-D "CN=svc-unlockbot,CN=Users,$BASE_DN" -w "$BOT_PW" -b "CN=Alice Smith,$STAFF_DN" -s base -LLL \
		'(objectClass=user)' allowedAttributesEffective | grep -ciE '^allowedAttributesEffective: (lockoutTime|pwdLastSet|userAccountControl)$' || true)
	[[ $n == 3 ]] || die "fixture check failed: the bot cannot write lockoutTime, pwdLastSet and userAccountControl on alice"
	lap "adminCount via ldapmodify, bot check"

	echo "$LAB_REV" >"$MARK"
	stop
	: >"$STDOUT_LOG"
	find "$DIR" -type s -delete
	tar -C "$LAB_ROOT" -czf "$SNAP.tmp" samba
	mv "$SNAP.tmp" "$SNAP"
	lap "snapshot $(du -h "$SNAP" | cut -f1)"
	start
}

write_env() {
	cat >"$DIR/lab.env" <<EOF
# Written by .ci/samba.sh. Lab-only credentials for a loopback test DC.
LAB_AD_URL='ldaps://127.0.0.1:636'
LAB_AD_STARTTLS_URL='ldap://127.0.0.1:389'
LAB_AD_CA_FILE='$DIR/tls/ca.pem'
LAB_AD_REALM='$REALM'
LAB_AD_BASE_DN='$BASE_DN'
LAB_AD_STAFF_DN='$STAFF_DN'
LAB_AD_OUTSIDE_DN='$OUTSIDE_DN'
LAB_AD_ADMIN_DN='CN=Administrator,CN=Users,$BASE_DN'
LAB_AD_ADMIN_PASSWORD='$ADMIN_PW'
LAB_AD_BOT_DN='CN=svc-unlockbot,CN=Users,$BASE_DN'
LAB_AD_BOT_PASSWORD='$BOT_PW'
LAB_AD_USER_PASSWORD='$USER_PW'
LAB_AD_DOMAIN_ADMINS_DN='CN=Domain Admins,CN=Users,$BASE_DN'
LAB_AD_TIER0_GROUP_DN='CN=IT Tier0,$STAFF_DN'
LAB_AD_INTENTIONAL_LOCK_DN='CN=Intentional Lock,$STAFF_DN'
LAB_AD_LOCKOUT_THRESHOLD='3'
LAB_AD_PSO_DN='$PSO_DN'
LAB_AD_PSO_GROUP_DN='CN=PSO Strict,$STAFF_DN'
LAB_AD_PSO_USER_PASSWORD='$PSO_USER_PW'
LAB_AD_SNAPSHOT='$SNAP'
EOF
	chmod 600 "$DIR/lab.env"
}

LAB_READY="ldaps://127.0.0.1:636 (base $BASE_DN)"
lab_main "$@"
