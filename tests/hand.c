/* SPDX-License-Identifier: MIT */
/* hand.c: a daemon that holds a descriptor and starts a command, the way
 * real programs hand descriptors on, for the tests of what reaches a child.
 *
 *   hand [OPTION]... FD HOW COMMAND [ARG]...
 *
 * hand opens a listening TCP socket on 127.0.0.1 (or, with --pipe, a pipe
 * whose read end is FD and write end FD + 1) without close-on-exec, as a
 * leaky daemon would, at descriptor FD (the numbers below it are filled
 * with /dev/null, opened close-on-exec).  Then it starts COMMAND through
 * HOW and exits with its status:
 *
 *   system    system() of the words joined by spaces
 *   popen     popen() of the same, its output copied to standard output
 *   spawn     posix_spawnp
 *   exec      fork and execvp
 *   inplace   execvp in place
 *
 * Options:
 *   --env NAME=VALUE   set NAME for the command; "{pid}" in VALUE becomes
 *                      hand's own pid
 *   --ignore SIG       ignore signal SIG (a number) before starting it
 *   --pipe             a pipe instead of a socket
 *
 * tests/fd-open, run as the command, says whether FD arrived. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void die(const char *what)
{
	perror(what);
	exit(99);
}

/* A listening socket (or pipe) at exactly fd, with no close-on-exec. */
static void hold(int fd, int pipe_wanted)
{
	int got;

	/* Whatever the caller left open there is not ours to keep. */
	close(fd);
	if (pipe_wanted)
		close(fd + 1);
	for (;;) {
		if (pipe_wanted) {
			int p[2];

			if (pipe(p))
				die("pipe");
			got = p[0];
			if (got == fd && p[1] == fd + 1)
				return;
			close(p[0]);
			close(p[1]);
		} else {
			struct sockaddr_in a = { .sin_family = AF_INET };

			a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			got = socket(AF_INET, SOCK_STREAM, 0);
			if (got < 0 || bind(got, (void *)&a, sizeof(a)) || listen(got, 1))
				die("listen");
			if (got == fd)
				return;
			close(got);
		}
		if (got > fd) {
			fprintf(stderr, "hand: descriptor %d is taken\n", fd);
			exit(99);
		}
		if (open("/dev/null", O_RDONLY | O_CLOEXEC) < 0)
			die("/dev/null");
	}
}

/* The words as one shell command, each quoted where the shell would
 * otherwise read it ("-&5"); one word is a shell command already. */
static char *joined(char **words)
{
	size_t len = 1;
	char *s, *p;

	if (words[0] && !words[1])
		return words[0];	/* a shell command, as it is */
	for (int i = 0; words[i]; i++)
		len += strlen(words[i]) + 3;
	p = s = calloc(1, len);
	if (!s)
		die("calloc");
	for (int i = 0; words[i]; i++) {
		int plain = strspn(words[i], "abcdefghijklmnopqrstuvwxyz"
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				   "_./:=,@%+-<>") == strlen(words[i]);

		p += sprintf(p, plain ? "%s%s" : "%s'%s'", i ? " " : "", words[i]);
	}
	return s;
}

static int status_of(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	int i = 1, fd, pipe_wanted = 0, status;
	const char *how;
	pid_t pid;

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--pipe")) {
			pipe_wanted = 1;
		} else if (!strcmp(argv[i], "--ignore") && i + 1 < argc) {
			signal(atoi(argv[++i]), SIG_IGN);
		} else if (!strcmp(argv[i], "--env") && i + 1 < argc) {
			char value[512], *eq = strchr(argv[++i], '='), *brace;

			if (!eq)
				die("--env NAME=VALUE");
			snprintf(value, sizeof(value), "%s", eq + 1);
			brace = strstr(value, "{pid}");
			if (brace) {
				char rest[512];

				snprintf(rest, sizeof(rest), "%s", brace + 5);
				snprintf(brace, sizeof(value) - (size_t)(brace - value),
					 "%ld%s", (long)getpid(), rest);
			}
			*eq = '\0';
			setenv(argv[i], value, 1);
		} else {
			fprintf(stderr, "hand: unknown option %s\n", argv[i]);
			return 99;
		}
	}
	if (argc - i < 3) {
		fprintf(stderr, "usage: hand [OPTION]... FD HOW COMMAND [ARG]...\n");
		return 99;
	}
	fd = atoi(argv[i]);
	how = argv[i + 1];
	argv += i + 2;
	hold(fd, pipe_wanted);
	fflush(stdout);

	if (!strcmp(how, "system")) {
		status = system(joined(argv));
		return status < 0 ? 99 : status_of(status);
	}
	if (!strcmp(how, "popen")) {
		char buf[4096];
		size_t n;
		FILE *f = popen(joined(argv), "r");

		if (!f)
			die("popen");
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, stdout);
		status = pclose(f);
		return status < 0 ? 99 : status_of(status);
	}
	if (!strcmp(how, "spawn")) {
		int err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);

		if (err) {
			fprintf(stderr, "hand: posix_spawnp: %s\n", strerror(err));
			return 99;
		}
	} else if (!strcmp(how, "exec")) {
		pid = fork();
		if (pid == 0) {
			execvp(argv[0], argv);
			_exit(127);
		}
	} else if (!strcmp(how, "inplace")) {
		execvp(argv[0], argv);
		die(argv[0]);
	} else {
		fprintf(stderr, "hand: unknown way %s\n", how);
		return 99;
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		die("waitpid");
	return status_of(status);
}
