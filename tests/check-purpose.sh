# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034,SC2154 # shares $work, $port with check.sh and check-all.sh, which source it
# check-purpose.sh: a fixture for check.sh and check-all.sh, sourced: a
# listener passed on purpose, in $purpose_py, a Python script run as
#
#   python3 -c "$purpose_py" MODE OUTFILE
#
# It listens on 127.0.0.1 (any port, not close-on-exec), passes the
# listener on as MODE says, writes "port N", "kids PID..." (the processes
# it leaves behind) and "ready" to OUTFILE, and then exits, or stays:
#   activated    socket activation: sleep gets it as descriptor 3, with
#                LISTEN_FDS=1 and LISTEN_PID in its environment
#   inetd        inetd's way: sleep gets it as descriptor 0
#   inetd-stays  the same, and the server stays (kids: itself, then sleep)
#   prefork      two forked workers keep it (the same program)
#   worker       one forked worker keeps it
# Each sleep has exec'd, and each kid runs, once "ready" is written.
# purpose MODE (after daemons.sh): start it, in a session of its own with
# nothing open but 0-2; sets $port and $kids, adds the kids to $pids, and
# returns once it has exited (or, staying, said ready).

purpose_py='
import os, socket, sys, time
mode, out = sys.argv[1], sys.argv[2]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
os.set_inheritable(s.fileno(), True)
kids = [os.getpid()] if mode.endswith("-stays") else []

def sleeper(fd, env):
    pid = os.fork()
    if pid == 0:
        if s.fileno() != fd:
            os.dup2(s.fileno(), fd)
            os.close(s.fileno())
        if env:
            env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
        os.execvpe("sleep", ["sleep", "300"], env or os.environ)
    for i in range(100):
        with open("/proc/%d/comm" % pid) as f:
            if f.read().strip() == "sleep":
                break
        time.sleep(0.05)
    kids.append(pid)

def worker():
    pid = os.fork()
    if pid == 0:
        time.sleep(300)
        os._exit(0)
    kids.append(pid)

if mode == "activated":
    sleeper(3, True)
elif mode.startswith("inetd"):
    sleeper(0, False)
else:
    for i in range(2 if mode == "prefork" else 1):
        worker()
with open(out + ".tmp", "w") as f:
    f.write("port %d\nkids %s\nready\n" % (s.getsockname()[1], " ".join(map(str, kids))))
os.rename(out + ".tmp", out)
if mode.endswith("-stays"):
    time.sleep(300)
'

purpose() {
	rm -f "$work/purpose.out"
	clean setsid python3 -c "$purpose_py" "$1" "$work/purpose.out" >"$work/purpose.err" 2>&1 &
	purpose_pid=$!
	pids="$pids $purpose_pid"
	i=0
	until grep -q '^ready' "$work/purpose.out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || gone "$purpose_pid"; then
			grep -q '^ready' "$work/purpose.out" 2>/dev/null && break
			echo "Bail out! fixture $1 did not start: $(cat "$work/purpose.err")"
			exit 1
		fi
		sleep 0.1
	done
	port=$(sed -n 's/^port //p' "$work/purpose.out")
	kids=$(sed -n 's/^kids //p' "$work/purpose.out")
	pids="$pids $kids"
	case $1 in
	*-stays) ;;
	*)
		i=0
		while ! gone "$purpose_pid" && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
		wait "$purpose_pid" 2>/dev/null ;;
	esac
}
