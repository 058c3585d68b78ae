/* SPDX-License-Identifier: MIT */
/* secure-helper.c: the program tests/secure.sh runs, with and without the
 * library, to see what reaches a child.
 *
 *   reuse HOW plain|argv   open a file through open() (the library adds
 *                          close-on-exec), close it, let HOW (opendir,
 *                          getpwent, getspent) take the number back with
 *                          glibc's own O_CLOEXEC, then fork and exec
 *                          "report" (with "/dev/fd/N" in its argv if argv);
 *                          HOW legit keeps the first file open instead
 *   secret PATH open|raw|raw-listen REPORTER
 *                          setuid root: open PATH (through open(), or a
 *                          raw system call, without close-on-exec), drop
 *                          privileges, fork and exec "REPORTER report" (not
 *                          itself: it would be setuid again); raw-listen
 *                          sets LISTEN_FDS=1 for the child itself
 *   many N LIB             open N descriptors (no close-on-exec), then
 *                          exec "many-child N" in place, with LIB as
 *                          LD_PRELOAD (none when empty)
 *   many-child N           open one more by a raw system call, fork and
 *                          exec "count N RAW"
 *   count N RAW            "kept K of N" (descriptors 3..N+2 open), and
 *                          "raw open" or "raw closed"
 *   report ...             "inherited N...", then "secret N" for each
 *                          descriptor whose contents hold NOLEAK-SECRET
 *
 * reuse, secret and many start by closing what it inherited above 2, so
 * that its first descriptor is 3.  Lines: "created N", "reused yes|no".
 * Exit 0 when the helper itself worked. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static const char *self;

/* openat without libc and without the syscall() function: an inline
 * system call instruction, which no preloaded library can see. */
static int raw_open(const char *path)
{
	long ret;
	register long r10 __asm__("r10") = 0;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_openat), "D"((long)AT_FDCWD), "S"(path),
			   "d"((long)O_RDONLY), "r"(r10)
			 : "rcx", "r11", "memory");
	return (int)ret;
}

static void run_child(char **argv, char **envp)
{
	const char *path = argv[0];
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execve(path, argv, envp);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		perror("fork");
		exit(2);
	}
}

/* The descriptor whose /proc/self/fd link is target, or -1. */
static int find_fd(const char *target)
{
	char path[64], link[256];

	for (int fd = 3; fd < 64; fd++) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (!strcmp(link, target))
			return fd;
	}
	return -1;
}

static int reuse(const char *how, const char *pass)
{
	int first = open("/etc/hostname", O_RDONLY), fd = -1;
	char name[32], *argv[4] = { (char *)self, (char *)"report", NULL, NULL };
	DIR *d = NULL;

	if (first < 0) {
		perror("open");
		return 2;
	}
	if (!strcmp(how, "legit")) {
		fd = first;
	} else {
		close(first);
		if (!strcmp(how, "opendir")) {
			d = opendir("/");
			fd = d ? dirfd(d) : -1;
		} else if (!strcmp(how, "getpwent")) {
			setpwent();
			if (getpwent())
				fd = find_fd("/etc/passwd");
		} else if (!strcmp(how, "getspent")) {
			setspent();
			if (getspent())
				fd = find_fd("/etc/shadow");
		}
	}
	if (fd < 0) {
		fprintf(stderr, "reuse %s: no descriptor\n", how);
		return 2;
	}
	printf("created %d\nreused %s\n", fd, fd == first ? "yes" : "no");
	snprintf(name, sizeof(name), "/dev/fd/%d", fd);
	if (!strcmp(pass, "argv"))
		argv[2] = name;
	run_child(argv, environ);
	return 0;
}

static int secret(const char *path, const char *how, const char *reporter)
{
	char *argv[] = { (char *)reporter, (char *)"report", NULL };
	size_t n = 0;
	int fd;

	while (environ[n])
		n++;
	char *envp[n + 2];

	fd = strcmp(how, "open") ? raw_open(path) : open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "secret: cannot open %s\n", path);
		return 2;
	}
	printf("created %d\n", fd);
	if (geteuid() != getuid() &&
	    (setgroups(0, NULL) < 0 || setgid(getgid()) < 0 || setuid(getuid()) < 0)) {
		perror("dropping privileges");
		return 2;
	}
	memcpy(envp, environ, (n + 1) * sizeof(char *));
	if (!strcmp(how, "raw-listen")) {
		envp[n] = (char *)"LISTEN_FDS=1";
		envp[n + 1] = NULL;
	}
	run_child(argv, envp);
	return 0;
}

static int many(int count, const char *lib)
{
	char preload[4096], *envp[] = { preload, NULL };
	struct rlimit rl = { (rlim_t)count + 100, (rlim_t)count + 100 };
	char num[16], *argv[] = { (char *)self, (char *)"many-child", num, NULL };
	int null = open("/dev/null", O_RDONLY);

	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		perror("setrlimit");
		return 2;
	}
	for (int i = 1; i < count; i++)
		if (dup(null) < 0) {
			perror("dup");
			return 2;
		}
	snprintf(num, sizeof(num), "%d", count);
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", lib);
	execve(self, argv, envp);
	perror("execve");
	return 2;
}

static int many_child(const char *count)
{
	char rawnum[16];
	char *argv[] = { (char *)self, (char *)"count", (char *)count, rawnum, NULL };
	int raw = raw_open("/dev/null");

	if (raw < 0)
		return 2;
	snprintf(rawnum, sizeof(rawnum), "%d", raw);
	run_child(argv, environ);
	return 0;
}

static int count_fds(int count, int raw)
{
	int kept = 0;

	for (int fd = 3; fd < 3 + count; fd++)
		kept += fcntl(fd, F_GETFD) >= 0;
	printf("kept %d of %d\nraw %s\n", kept, count,
	       fcntl(raw, F_GETFD) >= 0 ? "open" : "closed");
	return 0;
}

static int report(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int mine = d ? dirfd(d) : -1, fds[256], n = 0;

	if (!d)
		return 2;
	while ((e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd >= 3 && fd != mine && n < 256)
			fds[n++] = fd;
	}
	closedir(d);
	printf("inherited");
	for (int i = 0; i < n; i++)
		printf(" %d", fds[i]);
	printf("\n");
	for (int i = 0; i < n; i++) {
		char buf[256];
		ssize_t got = pread(fds[i], buf, sizeof(buf) - 1, 0);

		if (got > 0) {
			buf[got] = '\0';
			if (strstr(buf, "NOLEAK-SECRET"))
				printf("secret %d\n", fds[i]);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	self = "/proc/self/exe";
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A call through the C library first, as every program makes one
	 * before it reaches for a raw system call: the library sets itself
	 * up, and takes what is open as inherited, at the first call it sees
	 * (libnoleak(7), LIMITATIONS). */
	close(open("/dev/null", O_RDONLY | O_CLOEXEC));
	if (argc >= 2 && !strcmp(argv[1], "report"))
		return report();
	if (argc >= 2 && (!strcmp(argv[1], "reuse") || !strcmp(argv[1], "secret") ||
			  !strcmp(argv[1], "many")))
		closefrom(3);
	if (argc == 4 && !strcmp(argv[1], "reuse"))
		return reuse(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "secret"))
		return secret(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "many"))
		return many(atoi(argv[2]), argv[3]);
	if (argc == 3 && !strcmp(argv[1], "many-child"))
		return many_child(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "count"))
		return count_fds(atoi(argv[2]), atoi(argv[3]));
	fprintf(stderr, "secure-helper: bad arguments\n");
	return 98;
}
