/* SPDX-License-Identifier: MIT */
/* dropper.c: a daemon whose worker changes user, as php-fpm's do.
 *
 *   dropper DIR SECONDS COMMAND
 *
 * Started as root, the daemon opens DIR/dropper.lock and a listener on
 * 127.0.0.1 (any free port), both inheritable, and forks a worker.  The
 * worker switches to user and group nobody (65534), puts its standard
 * error on /dev/null, and then runs system(COMMAND) every 100 ms for
 * SECONDS: each time, the lock and the listener would leak into COMMAND.
 * The daemon waits for SIGTERM (it then stops the worker and returns from
 * main, so that the library's summary is said) or for the worker's end.
 *
 * DROPPER_AS=root keeps the worker root.  DROPPER_CLOSE_ALL=1 makes it
 * close every descriptor from 3 up (close_range) once it has changed
 * user, as daemons that tidy up do, and open a pipe to leak instead.
 *
 * Standard output says, one line each: "port N", "daemon PID", "worker
 * PID uid N"; then whatever COMMAND prints. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void work(int seconds, const char *command)
{
	const char *as = getenv("DROPPER_AS");
	const char *close_all = getenv("DROPPER_CLOSE_ALL");
	struct timespec tick = { 0, 100 * 1000 * 1000 };
	int null = open("/dev/null", O_WRONLY);
	int p[2];

	if (!as || strcmp(as, "root")) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
			perror("dropper: cannot become nobody");
			_exit(3);
		}
	}
	if (close_all && !strcmp(close_all, "1")) {
		syscall(SYS_close_range, 3U, ~0U, 0);
		if (pipe(p))
			_exit(3);
		null = open("/dev/null", O_WRONLY);
	}
	printf("worker %ld uid %ld\n", (long)getpid(), (long)getuid());
	fflush(stdout);
	if (null < 0 || dup2(null, 2) != 2)
		_exit(3);
	close(null);
	for (long i = 0; i < seconds * 10L; i++) {
		if (system(command) == -1)
			_exit(4);
		fflush(stdout);
		nanosleep(&tick, NULL);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	char path[4096];
	sigset_t set;
	pid_t worker;
	int lock, listener, sig;

	if (argc != 4) {
		fprintf(stderr, "usage: dropper DIR SECONDS COMMAND\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/dropper.lock", argv[1]);
	lock = open(path, O_RDWR | O_CREAT, 0600);
	listener = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lock < 0 || listener < 0 ||
	    bind(listener, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(listener, 8) || getsockname(listener, (struct sockaddr *)&sa, &len)) {
		perror("dropper");
		return 2;
	}
	printf("port %d\ndaemon %ld\n", ntohs(sa.sin_port), (long)getpid());
	fflush(stdout);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	worker = fork();
	if (worker < 0)
		return 2;
	if (worker == 0) {
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		work(atoi(argv[2]), argv[3]);
	}
	if (sigwait(&set, &sig) == 0 && sig == SIGTERM)
		kill(worker, SIGKILL);
	waitpid(worker, NULL, 0);
	return 0;
}
