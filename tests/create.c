/* SPDX-License-Identifier: MIT */
/* create.c: descriptors made the ways the rest of the tests do not reach,
 * for tests/create.sh to run with and without the shim.
 *
 * Usage:
 *   create report [ARG...]      print "inherited N..." (descriptors >= 3)
 *   create openat2 SIZE [TAIL]  syscall(SYS_openat2) of /dev/null with a
 *                               struct of SIZE bytes (TAIL: its last byte
 *                               nonzero); "cloexec F struct kept|changed"
 *                               or "error ERRNO-NAME"
 *   create fopen FUNC MODE PATH FUNC fopen, fopen64, freopen or freopen64
 *                               (onto a stream at a number above 2);
 *                               "cloexec F wide W" or "error ERRNO-NAME"
 *   create sys NAME             one new descriptor from syscall(SYS_NAME);
 *                               "cloexec F", or "skip WHY" where the
 *                               kernel or the container refuses the call
 *   create wordexp WORDS        a descriptor made by a bare syscall
 *                               instruction, then wordexp(WORDS): prints
 *                               "created N", "inherited" with the numbers
 *                               among the words, and "cloexec F" of N after
 *   create said HOW SPAWN       an open descriptor, then through syscall()
 *                               HOW: dup2 or dup3 onto 40, setfd (F_SETFD
 *                               0), fionclex, or closerange (CLOSE_RANGE_
 *                               CLOEXEC, and the child is told the number);
 *                               then "create report" by SPAWN (fork-execve,
 *                               system).  Prints "created N" and the
 *                               child's "inherited" line.
 *
 * The exit status is 0 when the program itself worked. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/landlock.h>
#include <linux/openat2.h>
#include <linux/perf_event.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>
#include <wordexp.h>

#include "rawdup.h"
#include "../shim/close-range.h"

static char self[4096];

static void die(const char *what)
{
	fprintf(stderr, "create: %s: %s\n", what, strerror(errno));
	exit(99);
}

static int cloexec(int fd)
{
	int flags = raw_getfd(fd);

	if (flags < 0)
		die("F_GETFD");
	return !!(flags & FD_CLOEXEC);
}

static int report(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d)
		die("opendir");
	printf("inherited");
	while ((e = readdir(d)))
		if (atoi(e->d_name) >= 3 && atoi(e->d_name) != dirfd(d))
			printf(" %s", e->d_name);
	printf("\n");
	closedir(d);
	return 0;
}

static int openat2_size(size_t size, int tail)
{
	unsigned long long buf[8192 / 8] = { 0 };
	struct open_how *how = (struct open_how *)buf;
	long fd;

	how->flags = O_RDONLY;
	if (tail)
		((char *)buf)[size - 1] = 1;
	fd = syscall(SYS_openat2, AT_FDCWD, "/dev/null", how, size);
	if (fd < 0) {
		printf("error %s\n", strerrorname_np(errno));
		return 0;
	}
	printf("cloexec %d struct %s\n", cloexec((int)fd),
	       how->flags == O_RDONLY ? "kept" : "changed");
	return 0;
}

static int fopen_mode(const char *func, const char *mode, const char *path)
{
	FILE *f;

	if (!strcmp(func, "fopen"))
		f = fopen(path, mode);
	else if (!strcmp(func, "fopen64"))
		f = fopen64(path, mode);
	else {
		FILE *old = fopen("/dev/null", "r");
		int fd = dup2(fileno(old), 20);	/* far from 0-2 whatever */

		if (!old || fd < 0)
			die("fopen /dev/null");
		fclose(old);
		old = fdopen(fd, "r");
		if (!old)
			die("fdopen");
		f = !strcmp(func, "freopen") ? freopen(path, mode, old)
					      : freopen64(path, mode, old);
	}
	if (!f) {
		printf("error %s\n", strerrorname_np(errno));
		return 0;
	}
	printf("cloexec %d wide %d\n", cloexec(fileno(f)), fwide(f, 0) > 0);
	return 0;
}

/* One new descriptor from the system call called name, or -1 with errno. */
static long make(const char *name)
{
	if (!strcmp(name, "memfd_secret"))
		return syscall(SYS_memfd_secret, 0);
	if (!strcmp(name, "fspick"))
		return syscall(SYS_fspick, AT_FDCWD, "/", 0);
	if (!strcmp(name, "fsopen"))
		return syscall(SYS_fsopen, "tmpfs", 0);
	if (!strcmp(name, "fsmount")) {
		long fs = syscall(SYS_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */);

		if (fs < 0 || syscall(SYS_fsconfig, fs, 6 /* CMD_CREATE */,
				      NULL, NULL, 0) < 0)
			return -1;
		return syscall(SYS_fsmount, fs, 0, 0);
	}
	if (!strcmp(name, "open_tree"))
		return syscall(SYS_open_tree, AT_FDCWD, "/", 0);
	if (!strcmp(name, "pidfd_open"))
		return syscall(SYS_pidfd_open, getpid(), 0);
	if (!strcmp(name, "pidfd_getfd")) {
		long pidfd = syscall(SYS_pidfd_open, getpid(), 0);

		if (pidfd < 0)
			return -1;
		return syscall(SYS_pidfd_getfd, pidfd, 0, 0);
	}
	if (!strcmp(name, "userfaultfd")) {
		long fd = syscall(SYS_userfaultfd, 0);

		if (fd < 0 && errno == EPERM)	/* UFFD_USER_MODE_ONLY */
			fd = syscall(SYS_userfaultfd, 1);
		return fd;
	}
	if (!strcmp(name, "perf_event_open")) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE, .size = sizeof(attr),
			.config = PERF_COUNT_SW_TASK_CLOCK,
			.exclude_kernel = 1, .exclude_hv = 1,
		};

		return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
	}
	if (!strcmp(name, "io_uring_setup")) {
		struct io_uring_params p = { 0 };

		return syscall(SYS_io_uring_setup, 1, &p);
	}
	if (!strcmp(name, "landlock_create_ruleset")) {
		struct landlock_ruleset_attr attr = {
			.handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE,
		};

		return syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	}
	if (!strcmp(name, "seccomp")) {
		struct sock_filter allow[] = {
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = { 1, allow };

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			return -1;
		return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			       SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	}
	fprintf(stderr, "create: unknown call '%s'\n", name);
	exit(98);
}

static int sys(const char *name)
{
	long fd = make(name);

	if (fd < 0)
		printf("skip %s refused: %s\n", name, strerrorname_np(errno));
	else
		printf("cloexec %d\n", cloexec((int)fd));
	return 0;
}

/* A system call no libc function sees: the shim cannot know of it. */
static long bare_syscall3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static int expand(const char *words)
{
	int base = open("/dev/null", O_RDONLY | O_CLOEXEC);
	long fd = bare_syscall3(SYS_fcntl, base, F_DUPFD, 50);
	wordexp_t we;
	int ret;

	if (base < 0 || fd < 0)
		die("open");
	printf("created %ld\n", fd);
	fflush(stdout);
	ret = wordexp(words, &we, 0);
	if (ret != 0) {
		fprintf(stderr, "create: wordexp: %d\n", ret);
		return 1;
	}
	printf("inherited");
	for (size_t i = 0; i < we.we_wordc; i++)
		printf(" %s", we.we_wordv[i]);
	printf("\ncloexec %d\n", cloexec((int)fd));
	wordfree(&we);
	return 0;
}

static void spawn(const char *how, const char *named)
{
	char cmd[8192];
	pid_t pid;
	int status;

	fflush(stdout);
	if (!strcmp(how, "system")) {
		snprintf(cmd, sizeof(cmd), "exec '%s' report%s%s", self,
			 named ? " --fd " : "", named ? named : "");
		if (system(cmd) != 0)
			die("system");
		return;
	}
	if (strcmp(how, "fork-execve")) {
		fprintf(stderr, "create: unknown spawn '%s'\n", how);
		exit(98);
	}
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		char *argv[] = { "create", "report", named ? "--fd" : NULL,
				 (char *)named, NULL };

		execve(self, argv, environ);
		_exit(97);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		die("child");
}

static int said(const char *how, const char *spawn_how)
{
	int fd = open("/dev/null", O_RDONLY), target = fd;
	char named[16];
	long ret;

	if (fd < 0)
		die("open");
	if (!strcmp(how, "dup2"))
		ret = syscall(SYS_dup2, fd, target = 40);
	else if (!strcmp(how, "dup3"))
		ret = syscall(SYS_dup3, fd, target = 40, 0);
	else if (!strcmp(how, "setfd"))
		ret = syscall(SYS_fcntl, fd, F_SETFD, 0);
	else if (!strcmp(how, "fionclex"))
		ret = syscall(SYS_ioctl, fd, FIONCLEX);
	else if (!strcmp(how, "closerange"))
		ret = syscall(SYS_close_range, fd, fd, CLOSE_RANGE_CLOEXEC);
	else {
		fprintf(stderr, "create: unknown way '%s'\n", how);
		exit(98);
	}
	if (ret < 0)
		die(how);
	printf("created %d\n", target);
	snprintf(named, sizeof(named), "%d", target);
	spawn(spawn_how, strcmp(how, "closerange") ? NULL : named);
	return 0;
}

int main(int argc, char **argv)
{
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		die("readlink");
	self[n] = '\0';
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "report"))
		return report();
	if (argc >= 3 && !strcmp(argv[1], "openat2"))
		return openat2_size(strtoul(argv[2], NULL, 10), argc > 3);
	if (argc == 5 && !strcmp(argv[1], "fopen"))
		return fopen_mode(argv[2], argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "sys"))
		return sys(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "wordexp"))
		return expand(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "said"))
		return said(argv[2], argv[3]);
	fprintf(stderr, "create: bad usage\n");
	return 98;
}
