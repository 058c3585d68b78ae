/* SPDX-License-Identifier: MIT */
/* prefork.c: a prefork server, the master and workers that share a
 * listener by design, for noleak check (tests/check.sh, check-all.sh).
 *
 *   prefork ADDR WORKERS [CMD]
 *
 * The master listens on ADDR (dotted IPv4, or IPv6 such as
 * ::ffff:127.0.0.1), port 0, without close-on-exec, as prefork servers
 * do, and forks WORKERS workers that keep it (the same program, by
 * design).  With CMD, the first worker starts it with system(): a program
 * of another kind that gets the listener, the leak a worker can make.
 * With PREFORK_UNBOUND=1 the master also holds a TCP socket it never
 * binds (in no /proc/net table).  It prints "port N", a "worker PID" line
 * a worker and "started", then waits to be killed; workers die with it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* A listener on addr, port 0, and its port in *port; -1 on failure. */
static int listen_on(const char *addr, unsigned *port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	int v6 = strchr(addr, ':') != NULL;
	struct sockaddr *a = v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4;
	socklen_t len = v6 ? sizeof(a6) : sizeof(a4);
	int s = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);

	if (s < 0 || inet_pton(v6 ? AF_INET6 : AF_INET,
			       addr, v6 ? (void *)&a6.sin6_addr : (void *)&a4.sin_addr) != 1 ||
	    bind(s, a, len) || listen(s, 16) || getsockname(s, a, &len))
		return -1;
	*port = ntohs(v6 ? a6.sin6_port : a4.sin_port);
	return s;
}

int main(int argc, char **argv)
{
	unsigned port;
	int workers, s;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: prefork ADDR WORKERS [CMD]\n");
		return 64;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((s = listen_on(argv[1], &port)) < 0) {
		perror("prefork: listen");
		return 1;
	}
	if (getenv("PREFORK_UNBOUND") && socket(AF_INET, SOCK_STREAM, 0) < 0)
		return 1;
	printf("port %u\n", port);
	workers = atoi(argv[2]);
	for (int i = 0; i < workers; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (i == 0 && argc == 4 && system(argv[3]) != 0)
				_exit(4);
			for (;;)
				pause();
		}
		printf("worker %d\n", (int)pid);
	}
	printf("started\n");
	for (;;)
		pause();
}
