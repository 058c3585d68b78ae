#!/bin/bash
# SPDX-License-Identifier: MIT
# sshd.sh: OpenSSH's sshd under noleak, on a port of its own with its own
# host key and configuration.  A client logs in with a generated key: the
# login works, and the session's shell does not hold sshd's listener.
. "$NOLEAK_SRCDIR/tests/real/real.sh"
need /usr/sbin/sshd openssh-server
need ssh openssh-client
if [ "$(id -u)" -ne 0 ]; then
	skip sshd "needs root (sshd's privilege separation)"
	done_testing
	exit 0
fi

# sshd refuses to start without its privilege separation directory.
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$work/hostkey" &&
	ssh-keygen -q -t ed25519 -N '' -f "$work/id" &&
	cp "$work/id.pub" "$work/authorized_keys" || exit 99

for mode in $modes; do
	port=$(free_port)
	cat >"$work/$mode.conf" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $work/hostkey
PidFile $work/$mode.pid
AuthorizedKeysFile $work/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
CONF
	daemon sshd-"$mode" "$mode" /usr/sbin/sshd -D -e -f "$work/$mode.conf"
	spid=$pid
	wait_up "$spid" 10 listening "$port"
	ssh -F /dev/null -p "$port" -i "$work/id" -o BatchMode=yes -o IdentitiesOnly=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 \
		root@127.0.0.1 'echo session-ran; ls -l /proc/$$/fd' >"$work/$mode.out" 2>"$work/$mode.err"
	grep -q '^session-ran$' "$work/$mode.out"
	check $? "$mode: ssh logs in with a key and runs a command" \
		"$(tail -3 "$work/$mode.err")" "$(tail -5 "$work/sshd-$mode.log")" || continue
	under_lib "$mode" "$spid" sshd
	inode=$(listener_inode "$port")
	if grep -q "socket:\[$inode\]" "$work/$mode.out"; then held=0; else held=1; fi
	if [ "$mode" = none ]; then
		if [ $held -eq 0 ]; then
			diag "without noleak, the session's shell holds sshd's listener (socket:[$inode])"
		else
			diag "without noleak, sshd keeps its listener from the session by itself: no leak to show"
		fi
	else
		[ -n "$inode" ] && [ $held -eq 1 ]
		check $? "$mode: the session's shell does not hold the listener (socket:[$inode])" \
			"$(cat "$work/$mode.out")"
	fi
	stop_session "$spid"
done

done_testing
