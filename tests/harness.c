/* SPDX-License-Identifier: MIT */
/* harness.c: see harness.h. */
#define _GNU_SOURCE
#include "harness.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *test_path(const char *name)
{
	static char buf[4096];
	const char *dir = getenv("NOLEAK_TESTS");

	ck_assert_msg(dir != NULL, "NOLEAK_TESTS is not set (run from make check)");
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

static void drain(int fd, char *buf, size_t *len, size_t cap, int *open)
{
	ssize_t n = read(fd, buf + *len, cap - 1 - *len);

	if (n > 0)
		*len += (size_t)n;
	else if (n == 0 || (errno != EINTR && errno != EAGAIN))
		*open = 0;
	if (*len == cap - 1)	/* full: keep reading, drop the rest */
		*len = cap - 1;
	buf[*len] = '\0';
}

int run_program(struct run *r, int preload, const char *const *env,
		const char *const *argv)
{
	char *envp[64];
	char preload_var[4096];
	int out[2], err[2], n = 0;
	size_t olen = 0, elen = 0;
	int oopen = 1, eopen = 1;
	time_t deadline = time(NULL) + 60;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	envp[n++] = "PATH=/usr/local/bin:/usr/bin:/bin";
	if (preload) {
		const char *lib = getenv("NOLEAK_LIBRARY");

		ck_assert_msg(lib != NULL, "NOLEAK_LIBRARY is not set");
		snprintf(preload_var, sizeof(preload_var), "LD_PRELOAD=%s", lib);
		envp[n++] = preload_var;
	}
	for (size_t i = 0; env && env[i] && n < 63; i++)
		envp[n++] = (char *)env[i];
	envp[n] = NULL;

	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execve(argv[0], (char **)argv, envp);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	while (oopen || eopen) {
		struct pollfd p[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };

		if (time(NULL) > deadline) {
			kill(pid, SIGKILL);
			ck_abort_msg("%s timed out", argv[0]);
		}
		if (poll(p, 2, 1000) < 0 && errno != EINTR)
			ck_abort_msg("poll: %s", strerror(errno));
		if (oopen && (p[0].revents & (POLLIN | POLLHUP)))
			drain(out[0], r->out, &olen, sizeof(r->out), &oopen);
		if (eopen && (p[1].revents & (POLLIN | POLLHUP)))
			drain(err[0], r->err, &elen, sizeof(r->err), &eopen);
	}
	close(out[0]);
	close(err[0]);
	while (waitpid(pid, &r->status, 0) < 0)
		ck_assert_int_eq(errno, EINTR);
	return r->status;
}

int run_probe(struct run *r, int preload, const char *const *env,
	      const char *const *args)
{
	return run_probe_as(r, "probe", preload, env, args);
}

int run_probe_as(struct run *r, const char *build, int preload,
		 const char *const *env, const char *const *args)
{
	const char *argv[16];
	size_t n = 0;

	argv[n++] = test_path(build);
	argv[0] = strdup(argv[0]);
	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	run_program(r, preload, env, argv);
	free((char *)argv[0]);
	return r->status;
}

int line_numbers(const char *text, const char *key, int *vals, int max)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, klen) && (p[klen] == ' ' || p[klen] == '\n' ||
					       p[klen] == '\0')) {
			int n = 0;
			char *end;

			p += klen;
			while (n < max && *p == ' ') {
				vals[n++] = (int)strtol(p, &end, 10);
				p = end;
			}
			return n;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

int inherited(const char *text, int fd)
{
	int fds[1024];
	int n = line_numbers(text, "inherited", fds, 1024);

	ck_assert_msg(n >= 0, "no 'inherited' line in:\n%s", text);
	for (int i = 0; i < n; i++)
		if (fds[i] == fd)
			return 1;
	return 0;
}
