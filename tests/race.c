/* SPDX-License-Identifier: MIT */
/* race.c: descriptors created in four threads while the main thread starts
 * children through every spawn path; every child reports how many
 * descriptors >= 3 it inherited.  Nothing here means to pass any, so each
 * one is a leak.
 *
 *   race [SECONDS [MIN_SPAWNS]]   prints "spawns N reports M leaked L"
 *   race report                   (the child) appends "leaked N" to stdout
 *
 * Children write their report to standard output, which race points at a
 * temporary file opened O_APPEND before any thread starts.  popen is not
 * among the creators: glibc 2.36 does not take popen's list lock across
 * fork (fixed in 2.41), so concurrent popen and fork can hang the child. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pty.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { THREADS = 4, WINDOW = 8 };

static volatile int stop;
static char self[4096];

static int report(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) >= 3 &&
		    atoi(e->d_name) != dirfd(d))
			n++;
	closedir(d);
	printf("leaked %d\n", n);
	return 0;
}

/* Make one descriptor (or two) through creator i; returns how many. */
static int create(int i, int fds[2])
{
	sigset_t set;
	char tmp[64];
	FILE *f;

	fds[1] = -1;
	switch (i) {
	case 0: fds[0] = open("/etc/hostname", O_RDONLY); break;
	case 1: fds[0] = socket(AF_INET, SOCK_STREAM, 0); break;
	case 2: if (pipe(fds)) return 0; return 2;
	case 3: fds[0] = dup(0); break;
	case 4:
		f = fopen("/etc/hostname", "r");
		fds[0] = f ? dup(fileno(f)) : -1;	/* keep a bare fd */
		if (f)
			fclose(f);
		break;
	case 5:
		f = tmpfile();
		fds[0] = f ? fcntl(fileno(f), F_DUPFD, 3) : -1;
		if (f)
			fclose(f);
		break;
	case 6:
		snprintf(tmp, sizeof(tmp), "/tmp/noleak-race-XXXXXX");
		fds[0] = mkstemp(tmp);
		unlink(tmp);
		break;
	case 7: fds[0] = eventfd(0, 0); break;
	case 8: fds[0] = epoll_create1(0); break;
	case 9: fds[0] = memfd_create("race", 0); break;
	case 10:
		sigemptyset(&set);
		fds[0] = signalfd(-1, &set, 0);
		break;
	case 11: fds[0] = timerfd_create(CLOCK_MONOTONIC, 0); break;
	case 12: fds[0] = inotify_init(); break;
	case 13: if (openpty(&fds[0], &fds[1], NULL, NULL, NULL)) return 0; return 2;
	case 14: fds[0] = posix_openpt(O_RDWR | O_NOCTTY); break;
	case 15: if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds)) return 0; return 2;
	default: return 0;
	}
	return fds[0] >= 0;
}

static void *creator(void *arg)
{
	int window[WINDOW] = { 0 }, next = 0, i = (int)(long)arg;

	for (int k = 0; k < WINDOW; k++)
		window[k] = -1;
	while (!stop) {
		int fds[2], n = create(i++ % 16, fds);

		for (int k = 0; k < n; k++) {
			if (window[next] >= 0)
				close(window[next]);
			window[next] = fds[k];
			next = (next + 1) % WINDOW;
		}
	}
	for (int k = 0; k < WINDOW; k++)
		if (window[k] >= 0)
			close(window[k]);
	return NULL;
}

static int leaked_in(const char *line)
{
	return strncmp(line, "leaked ", 7) ? -1 : atoi(line + 7);
}

/* Start one child through path p and wait for it. */
static void spawn(int p, long *popen_leaks, long *popen_reports)
{
	char *argv[] = { self, "report", NULL };
	char cmd[4200], line[64];
	pid_t pid = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "exec '%s' report", self);
	switch (p) {
	case 0:		/* fork + execve */
	case 1:		/* fork + execvp */
		pid = fork();
		if (pid == 0) {
			if (p == 0)
				execve(self, argv, environ);
			else
				execvp(self, argv);
			_exit(127);
		}
		break;
	case 2:		/* vfork + execv */
		pid = vfork();
		if (pid == 0) {
			execv(self, argv);
			_exit(127);
		}
		break;
	case 3:
		if (posix_spawn(&pid, self, NULL, NULL, argv, environ))
			pid = -1;
		break;
	case 4:
		system(cmd);
		return;
	case 5:
		f = popen(cmd, "r");
		if (!f)
			return;
		while (fgets(line, sizeof(line), f))
			if (leaked_in(line) >= 0) {
				*popen_leaks += leaked_in(line);
				(*popen_reports)++;
			}
		pclose(f);
		return;
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2;
	long min_spawns = argc > 2 ? atol(argv[2]) : 1000;
	long spawns = 0, leaks = 0, reports = 0;
	char tmpl[] = "/tmp/noleak-race-out-XXXXXX", line[64];
	pthread_t t[THREADS];
	struct timespec start, now;
	int out, log;
	ssize_t n;
	FILE *f;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return 2;
	self[n] = '\0';
	if (argc == 2 && !strcmp(argv[1], "report"))
		return report();

	/* Whatever this process inherited is not the race's business (make's
	 * jobserver, the caller's descriptors): close it, so that every
	 * descriptor a child reports was made here. */
	if (syscall(SYS_close_range, 3, ~0U, 0) != 0)	/* tests/deny */
		for (int fd = 3; fd < 4096; fd++)
			close(fd);

	/* stdout becomes an append-only file every child writes to. */
	out = fcntl(1, F_DUPFD_CLOEXEC, 3);
	log = mkostemp(tmpl, O_CLOEXEC | O_APPEND);
	if (out < 0 || log < 0 || dup2(log, 1) != 1)
		return 2;
	unlink(tmpl);
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, creator, (void *)(i * 4));
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		spawn((int)(spawns % 6), &leaks, &reports);
		spawns++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (spawns < min_spawns ||
		 (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
	stop = 1;
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);

	f = fdopen(log, "r");
	fseek(f, 0, SEEK_SET);
	while (fgets(line, sizeof(line), f))
		if (leaked_in(line) >= 0) {
			leaks += leaked_in(line);
			reports++;
		}
	dprintf(out, "spawns %ld reports %ld leaked %ld\n", spawns, reports, leaks);
	return 0;
}
