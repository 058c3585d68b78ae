/* SPDX-License-Identifier: MIT */
/* story-daemon.c: daemon A of the story noleak exists to end.
 *
 *   story-daemon PORT LOCKFILE HOW BPIDFILE
 *
 * A takes an exclusive flock on LOCKFILE and listens on 127.0.0.1:PORT
 * (PORT 0 picks a free one), then starts daemon B, a background
 * "sleep 30" with its stdio on /dev/null, through the spawn path HOW:
 * system, popen, fork-execv, vfork-execv or posix_spawn.  B's pid goes to
 * BPIDFILE.  With STORY_HOLD naming a fifo that the tests hold open, B is
 * "cat" reading it instead: it lives until it is killed or the tests let
 * go of the fifo, however slow the machine, so no check of B depends on
 * a sleep outliving it.  A prints what it got and then waits to be killed:
 *
 *   port N / lock ok|busy / bind ok|in-use / started
 *
 * It exits 2 at once when the lock or the port is taken: the failed
 * restart of the story. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void start_b(const char *how, const char *cmd)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	pid_t pid;
	int status;

	if (!strcmp(how, "system")) {
		if (system(cmd) != 0)
			exit(4);
		return;
	}
	if (!strcmp(how, "popen")) {
		FILE *p = popen(cmd, "r");

		if (!p || pclose(p) != 0)
			exit(4);
		return;
	}
	if (!strcmp(how, "posix_spawn")) {
		if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ))
			exit(4);
	} else {
		pid = strcmp(how, "vfork-execv") ? fork() : vfork();
		if (pid == 0) {
			execv("/bin/sh", argv);
			_exit(127);
		}
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || status != 0)
		exit(4);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int one = 1, lock_ok, bind_ok, s, lock;
	char cmd[4096];

	if (argc != 5) {
		fprintf(stderr, "usage: story-daemon PORT LOCKFILE HOW BPIDFILE\n");
		return 64;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	lock = open(argv[2], O_RDWR | O_CREAT, 0600);
	lock_ok = lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0;

	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)atoi(argv[1]));
	bind_ok = bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		  listen(s, 16) == 0;
	getsockname(s, (struct sockaddr *)&a, &len);

	printf("port %d\nlock %s\nbind %s\n",
	       bind_ok ? ntohs(a.sin_port) : atoi(argv[1]),
	       lock_ok ? "ok" : "busy", bind_ok ? "ok" : "in-use");
	if (!lock_ok || !bind_ok)
		return 2;

	if (getenv("STORY_HOLD") && *getenv("STORY_HOLD"))
		snprintf(cmd, sizeof(cmd),
			 "cat <'%s' >/dev/null 2>&1 & echo $! >'%s'",
			 getenv("STORY_HOLD"), argv[4]);
	else
		snprintf(cmd, sizeof(cmd),
			 "sleep 30 </dev/null >/dev/null 2>&1 & echo $! >'%s'", argv[4]);
	start_b(argv[3], cmd);
	printf("started\n");
	for (;;)
		pause();
}
