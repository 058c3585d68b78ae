#!/bin/bash
# SPDX-License-Identifier: MIT
# dbus.sh: dbus-daemon under noleak, told to print its address and pid
# on descriptors its caller opened (--print-address=5 --print-pid=6), and
# to fork into the background.  The address must arrive, through a file
# and through a pipe, and a client must reach the bus there.
. "$NOLEAK_SRCDIR/tests/real/real.sh"
need dbus-daemon dbus-daemon

# adopt FILE: add the pid in FILE (a daemon in a session of its own) to
# what the EXIT trap kills.
adopt() {
	wait_for 5 test -s "$1"
	p=$(head -n 1 "$1" 2>/dev/null)
	[ -n "$p" ] && sessions="$sessions $p" && extra_pids="${extra_pids-} $p"
}

for mode in $modes; do
	# Through a file.
	sock=$work/$mode-file.bus
	wrap "$mode"
	timeout 20 "${nl[@]}" dbus-daemon --session --address="unix:path=$sock" --fork \
		--print-address=5 --print-pid=6 5>"$work/$mode.addr" 6>"$work/$mode.pid" \
		</dev/null >"$work/$mode.log" 2>&1
	adopt "$work/$mode.pid"
	under_lib "$mode" "$p" dbus-daemon
	wait_for 5 test -s "$work/$mode.addr"
	addr=$(head -n 1 "$work/$mode.addr")
	case $addr in
	unix:path=$sock*) r=0 ;;
	*) r=1 ;;
	esac
	check $r "$mode: --print-address=5 to a file: the address arrives" \
		"$(cat "$work/$mode.log")"
	dbus-send --bus="$addr" --print-reply --dest=org.freedesktop.DBus / \
		org.freedesktop.DBus.GetId >"$work/$mode.reply" 2>&1
	check $? "$mode: a client reaches the bus at that address" "$(cat "$work/$mode.reply")"

	# Through a pipe: the reader sees the address, then end of file once
	# the daemon is running (it must not hold the pipe open for ever).
	sock=$work/$mode-pipe.bus
	addr=$(timeout 20 "${nl[@]}" dbus-daemon --session --address="unix:path=$sock" --fork \
		--print-address=5 --print-pid=6 5>&1 6>"$work/$mode-pipe.pid" \
		</dev/null 2>"$work/$mode-pipe.log" >/dev/null)
	r=$?
	adopt "$work/$mode-pipe.pid"
	case $addr in
	unix:path=$sock*) [ $r -eq 0 ] ;;
	*) false ;;
	esac
	check $? "$mode: --print-address=5 to a pipe: the address arrives (status $r)" \
		"$(cat "$work/$mode-pipe.log")"
done

done_testing
