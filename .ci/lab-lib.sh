# Shared by .ci/samba.sh and .ci/slapd.sh (sourced, not run). The caller
# sets LAB_NAME (its script name), LAB_SERVICE (its Debian service name),
# LAB_PROC (its server binary), PIDFILE, STDOUT_LOG, DIR (its lab folder) and T_START/T_LAST (date +%s%N).

# lap prints a step with its time and the total so far.
lap() {
	local now
	now=$(date +%s%N)
	printf '%s: %-34s %6d ms  (total %6d ms)\n' "$LAB_NAME" "$1" $(((now - T_LAST) / 1000000)) $(((now - T_START) / 1000000))
	T_LAST=$now
}

die() {
	echo "$LAB_NAME: $*" >&2
	exit 1
}

# ensure_policy_rc makes sure no package install starts a service: the lab
# runs its own instance on its own ports and folders.
ensure_policy_rc() {
	local p=/usr/sbin/policy-rc.d rc=0
	if [[ -x $p ]]; then
		"$p" "$LAB_SERVICE" start >/dev/null 2>&1 || rc=$?
		[[ $rc == 101 ]] && return 0
	fi
	printf '#!/bin/sh\n# written by unlockbot .ci/%s: never auto-start services\nexit 101\n' "$LAB_NAME" >"$p"
	chmod 755 "$p"
}

# spawn starts a server in the background, detached from this script (its
# own session, no terminal, output to $STDOUT_LOG) and without any of our
# descriptors above 2, and prints its pid. A caller running
# `flock LOCKFILE .ci/samba.sh --reset` holds the lock on an inherited
# descriptor: a server that kept it would hold the lab lock for as long as
# it runs, and every other flock would wait forever.
spawn() {
	(
		local fd
		for fd in $(ls "/proc/$BASHPID/fd"); do
			((fd > 2)) && eval "exec $fd>&-"
		done 2>/dev/null
		setsid nohup "$@" >>"$STDOUT_LOG" 2>&1 </dev/null &
		echo $!
	)
}

# alive: the process exists and is not a zombie.
alive() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $state && $state != Z ]]
}

# our_pid prints the pid of our server: the pid file's process, if it is
# $LAB_PROC and its stdout is our log (a recycled pid is not ours; samba
# rewrites its command line, so that cannot be used).
our_pid() {
	local pid
	pid=$(cat "$PIDFILE" 2>/dev/null || true)
	[[ -n $pid ]] || return 1
	alive "$pid" || return 1
	[[ $(readlink "/proc/$pid/exe" 2>/dev/null) == */"$LAB_PROC" ]] || return 1
	[[ $(readlink "/proc/$pid/fd/1" 2>/dev/null) == "$STDOUT_LOG" ]] || return 1
	echo "$pid"
}

# stop ends our server: TERM and wait up to 10 s, or with "discard" (the
# lab folder is about to be replaced anyway) KILL at once.
stop() {
	local pid i sig=TERM
	[[ ${1:-} == discard ]] && sig=KILL
	if pid=$(our_pid); then
		kill -"$sig" "$pid"
		for i in $(seq 200); do
			alive "$pid" || break
			sleep 0.05
		done
		if alive "$pid"; then
			kill -KILL "$pid"
			sleep 0.2
		fi
		lap "stopped $LAB_PROC (pid $pid)"
	fi
	rm -f "$PIDFILE" "$DIR"/run/*.pid
}

# make_certs writes a lab CA and a server certificate whose SANs Go
# accepts (localhost, 127.0.0.1, ::1); keys are mode 600.
make_certs() {
	local t=$DIR/tls
	mkdir -p "$t"
	chmod 700 "$t"
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=unlockbot $LAB_SERVICE lab CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		-keyout "$t/ca.key" -out "$t/ca.pem" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
		-keyout "$t/key.pem" -out "$t/server.csr" 2>/dev/null
	printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1' 'basicConstraints=CA:FALSE' \
		'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' >"$t/server.ext"
	openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial \
		-days 3650 -sha256 -extfile "$t/server.ext" -out "$t/cert.pem" 2>/dev/null
	chmod 600 "$t/ca.key" "$t/key.pem"
	rm -f "$t/server.csr"
	lap "CA and server certificate"
}

# lab_main is both scripts' command line. The caller defines stop, start,
# answers, ensure_packages and provision, and sets SNAP, MARK, LAB_ROOT and
# LAB_READY (what to print once the server answers).
# restore puts the clean snapshot back and starts the server.
restore() {
	stop discard
	rm -rf "$DIR"
	tar -C "$LAB_ROOT" -xzf "$SNAP"
	lap "restored snapshot"
	start
}

# current reports whether the provisioned lab (or, with "snapshot", the
# clean snapshot) is of this script's LAB_REV: a fixture or right added
# since must not wait for someone to run --fresh.
current() {
	if [[ ${1:-} == snapshot ]]; then
		[[ -f $SNAP ]] && [[ $(tar -xzOf "$SNAP" "$(basename "$DIR")/.provisioned" 2>/dev/null) == "${LAB_REV:-}" ]]
		return
	fi
	[[ -f $MARK && $(cat "$MARK") == "${LAB_REV:-}" ]]
}

lab_main() {
	[[ $(id -u) == 0 ]] || die "run as root (it installs packages and binds privileged ports)"
	case ${1:-} in
	--stop)
		stop
		return 0
		;;
	--status)
		answers
		return
		;;
	--reset)
		ensure_packages
		if current snapshot; then restore; else provision; fi
		;;
	--fresh)
		ensure_packages
		stop
		rm -f "$SNAP"
		provision
		;;
	"" | --start)
		ensure_packages
		if current && answers; then
			echo "$LAB_NAME: already running; nothing to do"
		elif current; then
			start
		else
			provision
		fi
		;;
	*)
		echo "usage: $0 [--reset|--stop|--fresh|--status]" >&2
		return 2
		;;
	esac
	echo "$LAB_NAME: ready on $LAB_READY; lab settings in $DIR/lab.env"
}

