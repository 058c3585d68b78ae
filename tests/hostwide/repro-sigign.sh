#!/bin/bash
# SPDX-License-Identifier: MIT
# repro-sigign.sh: finding 1 of doc/hostwide-findings.md.  A program
# ignores SIGPIPE (as CPython does at start) and SIGHUP (as a nohup-like
# launcher does), blocks SIGUSR1, and starts a child by fork and execve,
# then by posix_spawn: by POSIX both children start with those signals
# ignored and blocked.  Deployed host-wide, the library sets them back to
# how it found them at start-up (NOLEAK_SIGNALS=restore is the default,
# and host-wide there is no environment to say keep).  Prints the
# children's SigBlk and SigIgn with and without the library; exits 1 when
# they differ.  Needs root (ns.sh).
here=$(cd "$(dirname "$0")" && pwd)
lib=${NOLEAK_LIBRARY:-$here/../../shim/.libs/libnoleak.so}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/sigign.c" <<'C'
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
extern char **environ;
int main(void)
{
	char *argv[] = { "grep", "-E", "SigBlk|SigIgn", "/proc/self/status", NULL };
	sigset_t usr1;
	int st;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	pid = fork();
	if (pid == 0) {
		execv("/bin/grep", argv);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	if (posix_spawn(&pid, "/bin/grep", NULL, NULL, argv, environ) == 0)
		waitpid(pid, &st, 0);
	return 0;
}
C
cc -o "$tmp/sigign" "$tmp/sigign.c" || exit 2
chmod 755 "$tmp"
without=$("$here/ns.sh" without "$lib" "$tmp/sigign")
with=$("$here/ns.sh" with "$lib" "$tmp/sigign")
echo "without the library (SIGHUP 0x1, SIGUSR1 0x200, SIGPIPE 0x1000):"
printf '%s\n' "$without" | sed 's/^/    /'
echo "with the library:"
printf '%s\n' "$with" | sed 's/^/    /'
[ "$without" = "$with" ]
