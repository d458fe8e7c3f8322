#!/usr/bin/env bash
# A throwaway OpenLDAP slapd with ppolicy on loopback for the identity/ldap tests
# (the generic-LDAP backend).
#
#   .ci/slapd.sh           configure once (or start the configured server), idempotent
#   .ci/slapd.sh --reset   restore the clean snapshot and restart
#   .ci/slapd.sh --stop    stop slapd
#   .ci/slapd.sh --fresh   wipe everything and configure from nothing
#   .ci/slapd.sh --status  exit 0 when slapd answers on ldaps://127.0.0.1:6360
#
# Runs as root on Debian 12 and installs what it needs. Everything lives in
# ${UNLOCKBOT_LAB_DIR:-/var/lib/unlockbot-lab}/slapd: cn=config built with slapadd
# from an LDIF written here, data loaded with slapadd. Listens on
# ldap://127.0.0.1:3890 and ldaps://127.0.0.1:6360 only. The fixed passwords below
# are for this lab only and are written, with URLs and DNs, to slapd/lab.env.
set -euo pipefail

LAB_ROOT=${UNLOCKBOT_LAB_DIR:-/var/lib/unlockbot-lab}
DIR=$LAB_ROOT/slapd
SNAP=$LAB_ROOT/slapd-snapshot.tar.gz
MARK=$DIR/.provisioned
PIDFILE=$DIR/run/slapd.pid
STDOUT_LOG=$DIR/log/slapd-stdout.log
LDAP_URL=ldap://127.0.0.1:3890
LDAPS_URL=ldaps://127.0.0.1:6360

SUFFIX=dc=example,dc=org
PEOPLE_DN=ou=people,$SUFFIX
ADMIN_DN=cn=admin,$SUFFIX
BOT_DN=cn=unlockbot,ou=services,$SUFFIX
INTENT_DN=cn=intentional-lock,ou=groups,$SUFFIX
# LAB_REV names what provision builds; a lab or snapshot of another
# revision is provisioned again (lab_main). 2: the bot may write /lock's attributes.
LAB_REV=2
ADMIN_PW='Lab-Passw0rd!Admin1'
BOT_PW='Lab-Passw0rd!Bot1'
USER_PW='Lab-Passw0rd!User1'

T_START=$(date +%s%N)
T_LAST=$T_START
LAB_NAME=slapd.sh
LAB_SERVICE=slapd
LAB_PROC=slapd
# shellcheck source=lab-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab-lib.sh"
ensure_packages() {
	ensure_policy_rc
	if command -v slapd >/dev/null && command -v slapadd >/dev/null && command -v ldapsearch >/dev/null &&
		command -v openssl >/dev/null; then
		return 0
	fi
	local pkgs=(slapd ldap-utils openssl)
	export DEBIAN_FRONTEND=noninteractive
	# Our own cn=config replaces Debian's; do not let the package create one.
	echo 'slapd slapd/no_configuration boolean true' | debconf-set-selections
	mkdir -p "$LAB_ROOT"
	local log=$LAB_ROOT/apt-slapd.log
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

answers() {
	[[ -f $DIR/tls/ca.pem ]] || return 1
	LDAPTLS_CACERT=$DIR/tls/ca.pem ldapsearch -x -H "$LDAPS_URL" -o nettimeout=2 \
		-s base -b '' -LLL namingContexts 2>/dev/null | grep -qi "^namingContexts: $SUFFIX"
}

someone_answers() {
	LDAPTLS_REQCERT=never ldapsearch -x -H "$LDAPS_URL" -o nettimeout=2 -s base -b '' -LLL dn >/dev/null 2>&1 ||
		ldapsearch -x -H "$LDAP_URL" -o nettimeout=2 -s base -b '' -LLL dn >/dev/null 2>&1
}

start() {
	local i pid
	if our_pid >/dev/null && answers; then
		return 0
	fi
	rm -f "$PIDFILE"
	if someone_answers; then
		die "another LDAP server already listens on 127.0.0.1:3890 or :6360; stop it first"
	fi
	mkdir -p "$DIR/run" "$DIR/log"
	# -d 0 keeps slapd in the foreground (no fork), so nohup/setsid own it.
	pid=$(spawn slapd -d 0 -s 0 -F "$DIR/slapd.d" -h "$LDAP_URL/ $LDAPS_URL/")
	for i in $(seq 400); do
		answers && break
		if ! alive "$pid"; then
			tail -n 30 "$STDOUT_LOG" >&2
			die "slapd exited during start; log: $STDOUT_LOG"
		fi
		sleep 0.05
	done
	answers || {
		tail -n 30 "$STDOUT_LOG" >&2
		die "slapd did not answer on $LDAPS_URL within 20 s; log: $STDOUT_LOG"
	}
	lap "started slapd (pid $pid)"
}

write_config_ldif() {
	local admin_hash=$1
	cat <<EOF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $DIR/run/slapd.pid
olcArgsFile: $DIR/run/slapd.args
olcLogLevel: none
olcTLSCACertificateFile: $DIR/tls/ca.pem
olcTLSCertificateFile: $DIR/tls/cert.pem
olcTLSCertificateKeyFile: $DIR/tls/key.pem

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: {0}back_mdb
olcModuleLoad: {1}ppolicy

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/nis.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: 500
olcAccess: {0}to dn.base="" by * read
olcAccess: {1}to dn.base="cn=subschema" by * read

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $SUFFIX
olcRootDN: $ADMIN_DN
olcRootPW: $admin_hash
olcDbDirectory: $DIR/data
olcDbMaxSize: 268435456
olcDbIndex: objectClass eq
olcDbIndex: uid,mail,cn eq,sub
olcDbIndex: member eq
olcDbIndex: pwdAccountLockedTime pres
# Keep pwdLastSuccess (the last successful bind) on every entry, so Lookup
# can tell a technician when the account last signed in.
olcLastBind: TRUE
# The delegated bot may write exactly the attributes a reset needs, and only
# on entries under ou=people; it is not the rootdn.
olcAccess: {0}to dn.subtree="$PEOPLE_DN" attrs=userPassword,pwdAccountLockedTime,pwdReset by dn.exact="$BOT_DN" write by self write by anonymous auth by * none
# /lock: the bot adds and removes members of the intentional-lock group
# (that one group only) and sets the permanent lock (pwdAccountLockedTime, above).
olcAccess: {1}to dn.base="$INTENT_DN" attrs=member by dn.exact="$BOT_DN" write by users read by * none
olcAccess: {2}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {3}to * by users read by * none

dn: olcOverlay={0}ppolicy,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {0}ppolicy
olcPPolicyDefault: cn=default,ou=policies,$SUFFIX
olcPPolicyHashCleartext: TRUE
olcPPolicyUseLockout: TRUE
EOF
}

write_data_ldif() {
	local bot_hash=$1 user_hash=$2 u
	cat <<EOF
dn: $SUFFIX
objectClass: dcObject
objectClass: organization
dc: example
o: Example Org

dn: ou=people,$SUFFIX
objectClass: organizationalUnit
ou: people

dn: ou=outside,$SUFFIX
objectClass: organizationalUnit
ou: outside

dn: ou=services,$SUFFIX
objectClass: organizationalUnit
ou: services

dn: ou=groups,$SUFFIX
objectClass: organizationalUnit
ou: groups

dn: ou=policies,$SUFFIX
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,$SUFFIX
objectClass: applicationProcess
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
pwdMaxFailure: 3
pwdLockoutDuration: 300
pwdFailureCountInterval: 300
pwdMustChange: TRUE
pwdAllowUserChange: TRUE
pwdInHistory: 0
pwdMinLength: 0
pwdCheckQuality: 0

dn: $BOT_DN
objectClass: person
objectClass: simpleSecurityObject
cn: unlockbot
sn: unlockbot
description: unlockbot delegated service account
userPassword: $bot_hash

EOF
	for u in "alice Alice Smith" "bob Bob Jones" "carol Carol White" "intent1 Intent One"; do
		set -- $u
		cat <<EOF
dn: uid=$1,$PEOPLE_DN
objectClass: inetOrgPerson
uid: $1
cn: $2 $3
givenName: $2
sn: $3
displayName: $2 $3
mail: $1@example.org
userPassword: $user_hash

EOF
	done
	cat <<EOF
dn: uid=outsider,ou=outside,$SUFFIX
objectClass: inetOrgPerson
uid: outsider
cn: Outside Person
sn: Person
mail: outsider@example.org
userPassword: $user_hash

dn: cn=tier0,ou=groups,$SUFFIX
objectClass: groupOfNames
cn: tier0
member: uid=carol,$PEOPLE_DN

dn: $INTENT_DN
objectClass: groupOfNames
cn: intentional-lock
member: uid=intent1,$PEOPLE_DN
EOF
}

provision() {
	stop discard
	rm -rf "$DIR"
	mkdir -p "$DIR/slapd.d" "$DIR/data" "$DIR/run" "$DIR/log"
	chmod 700 "$DIR"
	make_certs
	write_config_ldif "$(slappasswd -s "$ADMIN_PW")" >"$DIR/config.ldif"
	slapadd -n 0 -F "$DIR/slapd.d" -l "$DIR/config.ldif" >"$DIR/log/slapadd.log" 2>&1 ||
		{
			cat "$DIR/log/slapadd.log" >&2
			die "slapadd of cn=config failed"
		}
	write_data_ldif "$(slappasswd -s "$BOT_PW")" "$(slappasswd -s "$USER_PW")" >"$DIR/data.ldif"
	slapadd -n 1 -F "$DIR/slapd.d" -l "$DIR/data.ldif" >>"$DIR/log/slapadd.log" 2>&1 ||
		{
			cat "$DIR/log/slapadd.log" >&2
			die "slapadd of the data failed"
		}
	lap "cn=config and data (slapadd)"

	write_env
	start
	# Prove the delegated bot binds over LDAPS and sees the people.
	local n
	n=$(LDAPTLS_CACERT=$DIR/tls/ca.pem ldapsearch -x -H "$LDAPS_URL" -D "$BOT_DN" -w "$BOT_PW" \
		-b "$PEOPLE_DN" -LLL '(objectClass=inetOrgPerson)' dn | grep -c '^dn: ' || true)
	[[ $n == 4 ]] || die "fixture check failed: the bot sees $n people, want 4"
	lap "bot check"

	echo "$LAB_REV" >"$MARK"
	stop
	: >"$STDOUT_LOG"
	tar -C "$LAB_ROOT" -czf "$SNAP.tmp" slapd
	mv "$SNAP.tmp" "$SNAP"
	lap "snapshot $(du -h "$SNAP" | cut -f1)"
	start
}

write_env() {
	cat >"$DIR/lab.env" <<EOF
# Written by .ci/slapd.sh. Lab-only credentials for a loopback test slapd.
LAB_LDAP_URL='$LDAPS_URL'
LAB_LDAP_PLAIN_URL='$LDAP_URL'
LAB_LDAP_CA_FILE='$DIR/tls/ca.pem'
LAB_LDAP_BASE_DN='$SUFFIX'
LAB_LDAP_PEOPLE_DN='$PEOPLE_DN'
LAB_LDAP_OUTSIDE_DN='ou=outside,$SUFFIX'
LAB_LDAP_ADMIN_DN='$ADMIN_DN'
LAB_LDAP_ADMIN_PASSWORD='$ADMIN_PW'
LAB_LDAP_BOT_DN='$BOT_DN'
LAB_LDAP_BOT_PASSWORD='$BOT_PW'
LAB_LDAP_USER_PASSWORD='$USER_PW'
LAB_LDAP_DENY_GROUP_DN='cn=tier0,ou=groups,$SUFFIX'
LAB_LDAP_INTENTIONAL_LOCK_DN='$INTENT_DN'
LAB_LDAP_LOCKOUT_THRESHOLD='3'
LAB_LDAP_SNAPSHOT='$SNAP'
EOF
	chmod 600 "$DIR/lab.env"
}

LAB_READY="$LDAPS_URL and $LDAP_URL (base $SUFFIX)"
lab_main "$@"
