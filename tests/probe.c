/* SPDX-License-Identifier: MIT */
/* probe.c: a program for the integration tests to run with and without the
 * shim.  It creates descriptors through one named call, starts a child
 * through one named spawn path, and prints what happened:
 *
 *   created N...      the descriptors the creator returned
 *   cloexec F...      their close-on-exec flags in this process
 *   inherited N...    the descriptors >= 3 the child found open
 *
 * Usage:
 *   probe run CREATOR SPAWN     create, then spawn "probe report"
 *   probe inventory SPAWN       one descriptor from every creator, then spawn
 *   probe creators              list the creators check_preload runs
 *                               alone (the inventory's, and popen)
 *   probe table                 every row of the creators' table: NAME
 *                               ROLE [WHY] (tests/creators.sh)
 *   probe pass KIND CMD ARG...  open a file (KIND file) or a listener
 *                               (listen), run CMD with {} as its number
 *   probe fexecve-script PATH   fexecve a script opened without O_CLOEXEC
 *   probe handover CONV SPAWN   a socket announced by LISTEN_FDS, NGINX or
 *                               MAKEFLAGS (CONV listen_fds, nginx,
 *                               makeflags), to fork-execve or exec
 *   probe background CREATOR SPAWN  fork; the parent exits, the child
 *                               does "run" once it has gone
 *   probe looks                 msg_flags after recvmsg, F_GETFD of a
 *                               descriptor opened without O_CLOEXEC, a child
 *   probe setlock FILE SECONDS  flock FILE, then exec sleep in place
 *   probe prefork               four forked workers serve a listener
 *   probe spawn-dup2 7|1        posix_spawn with adddup2 onto 7 or 1
 *   probe vfork-dup2            vfork, dup2 onto stdout, exec
 *   probe execvp-path           execvp along a PATH of missing dirs
 *   probe signals [VIA]         ignore SIGCHLD and SIGPIPE (VIA signal,
 *                               sigaction or syscall), start sigcheck
 *   probe sigcheck              report system("true") and dispositions
 *   probe lock-hazards          fork from an atfork handler and a signal
 *                               handler in the middle of openpty
 *   probe report                print "inherited ..." and exit
 *   probe say WORD              write WORD to standard output
 *   probe stdio                 the daemonize idiom, then report fds 0-2
 *   probe big SPAWN N [unset]   spawn "report-env" with N more arguments,
 *                               the environment (without LD_PRELOAD if
 *                               unset), and a descriptor not meant for it
 *   probe report-env ...        "inherited", then "environ N args N
 *                               preload LD_PRELOAD"
 *   probe early SPAWN           the descriptor tests/libearly.so opened
 *                               in its constructor, then a child
 *   probe emfile SPAWN          fill the descriptor table (raw system
 *                               calls), then spawn at the limit
 *   probe old-dup SPAWN         close(1); dup(pipe); the child writes to it
 *   probe failexec CREATOR      exec a missing file, then use the fd
 *   probe freopen-system FILE   freopen(FILE, "w", stdout); system("echo")
 *   probe intent HOW SPAWN      make an fd inheritable on purpose (HOW:
 *                               dup2, dup3, setfd, fionclex, dup2-same)
 *   probe program-cloexec SPAWN an fd the program itself made close-on-exec
 *   probe spawn-compat FILE     posix_spawn@GLIBC_2.2.5 of FILE, which has no
 *                               #! line: the old version runs it with /bin/sh
 *   probe spawnp-compat DIR NAME  posix_spawnp@GLIBC_2.2.5 of NAME, found in
 *                               DIR (PATH): the old version runs /bin/sh NAME,
 *                               the bare name
 *   probe heap                  before anything else: "arena N" (bytes malloc
 *                               had taken before main), "owner V" and "pid N"
 *   probe envops                setenv, putenv and unsetenv, then each entry
 *                               of environ on a line of its own
 *   probe cancel-open DIR       as its first call through the library, a
 *                               thread opens a FIFO in DIR (blocking) and
 *                               is cancelled: "cancelled 1" when it ends so
 *
 * The exit status is 0 when the probe itself worked; what leaked is for the
 * caller to judge. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mqueue.h>
#include <pty.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rawdup.h"

extern char **environ;

/* The fortify entry points, called by name so the probe imports them. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

static char self[4096];

static void die(const char *what)
{
	fprintf(stderr, "probe: %s: %s\n", what, strerror(errno));
	exit(99);
}

/* ---- creators -------------------------------------------------------- */

static FILE *popen_stream;

static int unknown(const char *how)
{
	fprintf(stderr, "probe: unknown creator '%s'\n", how);
	exit(98);
}

/* A descriptor received over a unix socket (SCM_RIGHTS); the msg_flags
 * the receiving call returned into *flags. */
static int receive_fd(int many, int *flags)
{
	int sp[2], fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC), got = -1;
	char byte = 'x', cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) || fd < 0)
		die("socketpair");
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sp[0], &msg, 0) != 1)
		die("sendmsg");
	msg.msg_controllen = sizeof(cbuf);
	if (many) {
		struct mmsghdr m = { .msg_hdr = msg };

		if (recvmmsg(sp[1], &m, 1, 0, NULL) != 1)
			die("recvmmsg");
		msg = m.msg_hdr;
	} else if (recvmsg(sp[1], &msg, 0) != 1) {
		die("recvmsg");
	}
	*flags = msg.msg_flags;
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&got, CMSG_DATA(c), sizeof(int));
	close(fd);
	return got;
}

static int by_handle(const char *path)
{
	struct {
		struct file_handle h;
		unsigned char bytes[128];
	} fh = { .h.handle_bytes = 128 };
	int mount_id, mnt;

	if (name_to_handle_at(AT_FDCWD, path, &fh.h, &mount_id, 0))
		return -1;
	mnt = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return open_by_handle_at(mnt, &fh.h, O_RDONLY);
}

/* openat by a syscall instruction: no libc, so no interposer sees it. */
static int raw_openat(const char *path)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = 0;

	__asm__ volatile ("syscall" : "=a"(ret)
			  : "a"((long)SYS_openat), "D"((long)AT_FDCWD),
			    "S"(path), "d"((long)O_RDONLY), "r"(r10)
			  : "rcx", "r11", "memory");
	return (int)ret;
#else
	return (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
#endif
}

static int create(const char *how, int fds[2])
{
	static const char file[] = "/etc/hostname";
	/* Not a constant, so a fortified build calls __open_2 for open(). */
	static volatile int rdonly = O_RDONLY;
	char tmp[64];
	int msg_flags;

	fds[1] = -1;
	if (!strcmp(how, "open"))
		fds[0] = open(file, rdonly);
	else if (!strcmp(how, "open64"))
		fds[0] = open64(file, O_RDONLY);
	else if (!strcmp(how, "openat"))
		fds[0] = openat(AT_FDCWD, file, rdonly);
	else if (!strcmp(how, "openat64"))
		fds[0] = openat64(AT_FDCWD, file, O_RDONLY);
	else if (!strcmp(how, "__open_2"))
		fds[0] = __open_2(file, O_RDONLY);
	else if (!strcmp(how, "__open64_2"))
		fds[0] = __open64_2(file, O_RDONLY);
	else if (!strcmp(how, "__openat_2"))
		fds[0] = __openat_2(AT_FDCWD, file, O_RDONLY);
	else if (!strcmp(how, "__openat64_2"))
		fds[0] = __openat64_2(AT_FDCWD, file, O_RDONLY);
	else if (!strcmp(how, "creat") || !strcmp(how, "creat64")) {
		snprintf(tmp, sizeof(tmp), "/tmp/noleak-probe.%d", (int)getpid());
		fds[0] = how[5] ? creat64(tmp, 0600) : creat(tmp, 0600);
		unlink(tmp);
	} else if (!strcmp(how, "fopen") || !strcmp(how, "fopen64")) {
		FILE *f = how[5] ? fopen64(file, "r") : fopen(file, "r");
		fds[0] = f ? fileno(f) : -1;
	} else if (!strcmp(how, "freopen") || !strcmp(how, "freopen64")) {
		FILE *f = fopen("/dev/null", "r");
		if (f)
			f = how[7] ? freopen64(file, "r", f) : freopen(file, "r", f);
		fds[0] = f ? fileno(f) : -1;
	} else if (!strcmp(how, "socket"))
		fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	else if (!strcmp(how, "socketpair"))
		return socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
	else if (!strcmp(how, "accept") || !strcmp(how, "accept4")) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		socklen_t len = sizeof(a);
		int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (l < 0 || c < 0 || bind(l, (void *)&a, sizeof(a)) ||
		    listen(l, 1) || getsockname(l, (void *)&a, &len) ||
		    connect(c, (void *)&a, sizeof(a)))
			die("loopback connection");
		fds[0] = how[6] ? accept4(l, NULL, NULL, 0) : accept(l, NULL, NULL);
	} else if (!strcmp(how, "pipe"))
		return pipe(fds);
	else if (!strcmp(how, "pipe2"))
		return pipe2(fds, 0);
	else if (!strcmp(how, "dup"))
		fds[0] = dup(2);
	else if (!strcmp(how, "fcntl"))
		fds[0] = fcntl(2, F_DUPFD, 3);
	else if (!strcmp(how, "fcntl64"))
		fds[0] = fcntl64(2, F_DUPFD, 3);
	else if (!strcmp(how, "syscall"))
		fds[0] = (int)syscall(SYS_openat, AT_FDCWD, file, O_RDONLY);
	else if (!strcmp(how, "popen")) {
		popen_stream = popen("cat >/dev/null", "w");
		fds[0] = popen_stream ? fileno(popen_stream) : -1;
	} else if (!strcmp(how, "epoll_create"))
		fds[0] = epoll_create(1);
	else if (!strcmp(how, "epoll_create1"))
		fds[0] = epoll_create1(0);
	else if (!strcmp(how, "eventfd"))
		fds[0] = eventfd(0, 0);
	else if (!strcmp(how, "signalfd")) {
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		fds[0] = signalfd(-1, &set, 0);
	} else if (!strcmp(how, "timerfd_create"))
		fds[0] = timerfd_create(CLOCK_MONOTONIC, 0);
	else if (!strcmp(how, "inotify_init"))
		fds[0] = inotify_init();
	else if (!strcmp(how, "inotify_init1"))
		fds[0] = inotify_init1(0);
	else if (!strcmp(how, "memfd_create"))
		fds[0] = memfd_create("probe", 0);
	else if (!strcmp(how, "fanotify_init")) {
		fds[0] = fanotify_init(FAN_CLASS_NOTIF, O_RDONLY);
		if (fds[0] < 0 && errno == EPERM)
			return -2;
	} else if (!strncmp(how, "mk", 2)) {
		snprintf(tmp, sizeof(tmp), "/tmp/noleak-probe-XXXXXX%s",
			 strstr(how, "stemps") ? ".x" : "");
		if (!strcmp(how, "mkstemp"))
			fds[0] = mkstemp(tmp);
		else if (!strcmp(how, "mkstemp64"))
			fds[0] = mkstemp64(tmp);
		else if (!strcmp(how, "mkostemp"))
			fds[0] = mkostemp(tmp, 0);
		else if (!strcmp(how, "mkostemp64"))
			fds[0] = mkostemp64(tmp, 0);
		else if (!strcmp(how, "mkstemps"))
			fds[0] = mkstemps(tmp, 2);
		else if (!strcmp(how, "mkstemps64"))
			fds[0] = mkstemps64(tmp, 2);
		else if (!strcmp(how, "mkostemps"))
			fds[0] = mkostemps(tmp, 2, 0);
		else if (!strcmp(how, "mkostemps64"))
			fds[0] = mkostemps64(tmp, 2, 0);
		else
			return unknown(how);
		unlink(tmp);
	} else if (!strcmp(how, "tmpfile") || !strcmp(how, "tmpfile64")) {
		FILE *f = how[7] ? tmpfile64() : tmpfile();
		fds[0] = f ? fileno(f) : -1;
	} else if (!strcmp(how, "openpty"))
		return openpty(&fds[0], &fds[1], NULL, NULL, NULL);
	else if (!strcmp(how, "forkpty")) {
		pid_t pid = forkpty(&fds[0], NULL, NULL, NULL);

		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
	} else if (!strcmp(how, "posix_openpt"))
		fds[0] = posix_openpt(O_RDWR | O_NOCTTY);
	else if (!strcmp(how, "getpt"))
		fds[0] = getpt();
	else if (!strcmp(how, "recvmsg") || !strcmp(how, "recvmmsg"))
		fds[0] = receive_fd(how[4] == 'm', &msg_flags);
	else if (!strcmp(how, "open_by_handle_at")) {
		fds[0] = by_handle(file);
		if (fds[0] < 0 && errno == EPERM)
			return -2;
	} else if (!strcmp(how, "syscall-socket"))
		fds[0] = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	else if (!strcmp(how, "syscall-pipe2"))
		return (int)syscall(SYS_pipe2, fds, 0);
	else if (!strcmp(how, "syscall-dup"))
		fds[0] = (int)syscall(SYS_dup, 2);
	else if (!strcmp(how, "syscall-memfd"))
		fds[0] = (int)syscall(SYS_memfd_create, "probe", 0);
	else if (!strcmp(how, "raw"))
		fds[0] = raw_openat(file);
	/* Creators glibc already makes close-on-exec. */
	else if (!strcmp(how, "opendir")) {
		DIR *d = opendir("/");
		fds[0] = d ? dirfd(d) : -1;
	} else if (!strcmp(how, "shm_open")) {
		snprintf(tmp, sizeof(tmp), "/noleak-probe.%d", (int)getpid());
		fds[0] = shm_open(tmp, O_RDWR | O_CREAT, 0600);
		shm_unlink(tmp);
	} else if (!strcmp(how, "pidfd_open"))
		fds[0] = pidfd_open(getpid(), 0);
	else if (!strcmp(how, "mq_open")) {
		snprintf(tmp, sizeof(tmp), "/noleak-probe.%d", (int)getpid());
		fds[0] = mq_open(tmp, O_RDWR | O_CREAT, 0600, NULL);
		mq_unlink(tmp);
		if (fds[0] < 0 && (errno == ENOSYS || errno == EACCES))
			return -2;
	} else
		return unknown(how);
	return fds[0] < 0 ? -1 : 0;
}

/* ---- spawn paths ----------------------------------------------------- */

static void child_failed(const char *what)
{
	fprintf(stderr, "probe: %s: %s\n", what, strerror(errno));
	_exit(97);
}

static void wait_child(pid_t pid)
{
	int status;

	if (pid < 0)
		die("spawn");
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "probe: child status %d\n", status);
}

/* Start argv (argv[0] is this program unless say says otherwise) through
 * the spawn path named how, and wait for it. */
static void spawn(const char *how, char **argv)
{
	char cmd[8192];
	pid_t pid;

	fflush(stdout);
	snprintf(cmd, sizeof(cmd), "exec '%s' %s%s%s", self, argv[1],
		 argv[2] ? " " : "", argv[2] ? argv[2] : "");
	if (!strcmp(how, "system")) {
		int status = system(cmd);
		if (status != 0)
			fprintf(stderr, "probe: system returned %d\n", status);
		return;
	}
	if (!strcmp(how, "popen")) {
		char line[4096];
		FILE *p = popen(cmd, "r");

		if (!p)
			die("popen");
		while (fgets(line, sizeof(line), p))
			fputs(line, stdout);
		pclose(p);
		return;
	}
	if (!strcmp(how, "posix_spawn") || !strcmp(how, "posix_spawnp")) {
		int err = how[11] ? posix_spawnp(&pid, self, NULL, NULL, argv, environ)
				  : posix_spawn(&pid, self, NULL, NULL, argv, environ);
		if (err) {
			errno = err;
			die("posix_spawn");
		}
		wait_child(pid);
		return;
	}
	if (!strcmp(how, "exec")) {	/* in place: the probe becomes the child */
		execv(self, argv);
		die("execv");
	}
	pid = strncmp(how, "vfork-", 6) ? fork() : vfork();
	if (pid == 0) {
		const char *exec = strchr(how, '-') + 1;

		if (!strcmp(exec, "execve"))
			execve(self, argv, environ);
		else if (!strcmp(exec, "execv"))
			execv(self, argv);
		else if (!strcmp(exec, "execvp"))
			execvp(self, argv);
		else if (!strcmp(exec, "execvpe"))
			execvpe(self, argv, environ);
		else if (!strcmp(exec, "execl"))
			execl(self, argv[0], argv[1], argv[2], (char *)NULL);
		else if (!strcmp(exec, "execlp"))
			execlp(self, argv[0], argv[1], argv[2], (char *)NULL);
		else if (!strcmp(exec, "execle"))
			execle(self, argv[0], argv[1], argv[2], (char *)NULL, environ);
		else if (!strcmp(exec, "fexecve") || !strcmp(exec, "execveat")) {
			int fd = open(self, O_RDONLY | O_CLOEXEC);

			if (exec[1] == 'e')
				fexecve(fd, argv, environ);
			else
				execveat(fd, "", argv, environ, AT_EMPTY_PATH);
		}
		child_failed(how);
	}
	wait_child(pid);
}

/* ---- reports --------------------------------------------------------- */

static void report(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0, fds[1024];

	if (!d) {	/* no /proc (tests/deny --no-proc): ask each number */
		for (int fd = 3; fd < 1024; fd++)
			if (fcntl(fd, F_GETFD) >= 0)
				fds[n++] = fd;
	}
	while (d && (e = readdir(d)) && n < 1024) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd >= 3 && fd != dirfd(d))
			fds[n++] = fd;
	}
	if (d)
		closedir(d);
	printf("inherited");
	for (int i = 0; i < n; i++)
		printf(" %d", fds[i]);
	printf("\n");
}

static void print_created(const int *fds, int n)
{
	printf("created");
	for (int i = 0; i < n; i++)
		printf(" %d", fds[i]);
	printf("\ncloexec");
	for (int i = 0; i < n; i++)
		printf(" %d", (raw_getfd(fds[i]) & FD_CLOEXEC) ? 1 : 0);
	printf("\n");
}

static char *report_argv[] = { NULL, "report", NULL };

/* The one table of the probe's creators, and of every other entry of
 * shim/symbols.def: tests/creators.sh fails when a wrapped symbol has no
 * row here, or a row names no wrapped symbol and no case of create().
 *
 *   INVENTORY    makes a descriptor without close-on-exec when the program
 *                does not ask for it: in "probe inventory", and run alone
 *                through every spawn path by check_preload;
 *   ALONE        the same, run alone only (the reason says why);
 *   GLIBC        a case of create() glibc itself makes close-on-exec, not
 *                wrapped: for the tests that show the library leaves it be;
 *   NOT_CREATOR  a wrapped symbol that makes no descriptor of its own, or
 *                one the library must not mark (the reason says which). */
enum role { INVENTORY, ALONE, GLIBC, NOT_CREATOR };
static const char *const role_names[] = { "inventory", "alone", "glibc",
					  "not-a-creator" };
static const struct creator_row {
	const char *name;
	enum role role;
	const char *why;
} creator_rows[] = {
	/* wrap-open.c */
	{ "open", INVENTORY, NULL },
	{ "open64", INVENTORY, NULL },
	{ "openat", INVENTORY, NULL },
	{ "openat64", INVENTORY, NULL },
	{ "creat", INVENTORY, NULL },
	{ "creat64", INVENTORY, NULL },
	{ "__open_2", INVENTORY, NULL },
	{ "__open64_2", INVENTORY, NULL },
	{ "__openat_2", INVENTORY, NULL },
	{ "__openat64_2", INVENTORY, NULL },
	{ "open_by_handle_at", INVENTORY, NULL },
	{ "mkstemp", INVENTORY, NULL },
	{ "mkstemp64", INVENTORY, NULL },
	{ "mkostemp", INVENTORY, NULL },
	{ "mkostemp64", INVENTORY, NULL },
	{ "mkstemps", INVENTORY, NULL },
	{ "mkstemps64", INVENTORY, NULL },
	{ "mkostemps", INVENTORY, NULL },
	{ "mkostemps64", INVENTORY, NULL },
	/* wrap-stdio.c */
	{ "fopen", INVENTORY, NULL },
	{ "fopen64", INVENTORY, NULL },
	{ "freopen", INVENTORY, NULL },
	{ "freopen64", INVENTORY, NULL },
	{ "tmpfile", INVENTORY, NULL },
	{ "tmpfile64", INVENTORY, NULL },
	/* wrap-socket.c */
	{ "socket", INVENTORY, NULL },
	{ "socketpair", INVENTORY, NULL },
	{ "accept", INVENTORY, NULL },
	{ "accept4", INVENTORY, NULL },
	{ "recvmsg", INVENTORY, NULL },
	{ "recvmmsg", INVENTORY, NULL },
	/* wrap-pipe-dup.c */
	{ "pipe", INVENTORY, NULL },
	{ "pipe2", INVENTORY, NULL },
	{ "dup", INVENTORY, NULL },
	{ "dup2", NOT_CREATOR, "intent: the new number is meant for a child (tests/named.sh, check_preload's intent cases)" },
	{ "dup3", NOT_CREATOR, "intent, as dup2" },
	{ "fcntl", INVENTORY, NULL },
	{ "fcntl64", INVENTORY, NULL },
	{ "ioctl", NOT_CREATOR, "FIOCLEX and FIONCLEX: intent, no new descriptor" },
	/* wrap-sandbox.c */
	{ "prctl", NOT_CREATOR, "a seccomp filter: no descriptor (tests/sandbox.sh)" },
	/* wrap-close.c */
	{ "close", NOT_CREATOR, "closes" },
	{ "close_range", NOT_CREATOR, "closes, or sets close-on-exec itself" },
	{ "closefrom", NOT_CREATOR, "closes" },
	{ "closedir", NOT_CREATOR, "closes" },
	/* wrap-misc.c */
	{ "epoll_create", INVENTORY, NULL },
	{ "epoll_create1", INVENTORY, NULL },
	{ "eventfd", INVENTORY, NULL },
	{ "signalfd", INVENTORY, NULL },
	{ "timerfd_create", INVENTORY, NULL },
	{ "inotify_init", INVENTORY, NULL },
	{ "inotify_init1", INVENTORY, NULL },
	{ "memfd_create", INVENTORY, NULL },
	{ "fanotify_init", INVENTORY, NULL },
	{ "posix_openpt", INVENTORY, NULL },
	{ "getpt", INVENTORY, NULL },
	{ "openpty", INVENTORY, NULL },
	{ "forkpty", INVENTORY, NULL },
	/* wrap-signal.c */
	{ "sigaction", NOT_CREATOR, "signal dispositions (tests/signals.sh)" },
	{ "signal", NOT_CREATOR, "signal dispositions" },
	{ "bsd_signal", NOT_CREATOR, "signal dispositions" },
	{ "sysv_signal", NOT_CREATOR, "signal dispositions" },
	{ "__sysv_signal", NOT_CREATOR, "signal dispositions" },
	{ "sigset", NOT_CREATOR, "signal dispositions" },
	{ "sigignore", NOT_CREATOR, "signal dispositions" },
	/* wrap-syscall.c: syscall(SYS_openat) here, the other numbers below */
	{ "syscall", INVENTORY, NULL },
	/* wrap-shell.c */
	{ "wordexp", NOT_CREATOR, "a spawn path (check_preload's spawns)" },
	/* wrap-exec.c */
	{ "fork", NOT_CREATOR, "a spawn path" },
	{ "execve", NOT_CREATOR, "a spawn path" },
	{ "execv", NOT_CREATOR, "a spawn path" },
	{ "execvp", NOT_CREATOR, "a spawn path" },
	{ "execvpe", NOT_CREATOR, "a spawn path" },
	{ "execl", NOT_CREATOR, "a spawn path" },
	{ "execlp", NOT_CREATOR, "a spawn path" },
	{ "execle", NOT_CREATOR, "a spawn path" },
	{ "fexecve", NOT_CREATOR, "a spawn path" },
	{ "execveat", NOT_CREATOR, "a spawn path" },
	{ "system", NOT_CREATOR, "a spawn path" },
	{ "popen", ALONE, "left out of the inventory: glibc's popen child closes earlier popen streams itself" },
	{ "pclose", NOT_CREATOR, "closes" },
	{ "fclose", NOT_CREATOR, "closes" },
	{ "posix_spawn", NOT_CREATOR, "a spawn path" },
	{ "posix_spawnp", NOT_CREATOR, "a spawn path" },
	/* Not in symbols.def: other ways to the same system calls. */
	{ "syscall-socket", INVENTORY, NULL },
	{ "syscall-pipe2", INVENTORY, NULL },
	{ "syscall-dup", INVENTORY, NULL },
	{ "syscall-memfd", INVENTORY, NULL },
	{ "raw", INVENTORY, NULL },
	{ "opendir", GLIBC, NULL },
	{ "shm_open", GLIBC, NULL },
	{ "pidfd_open", GLIBC, NULL },
	{ "mq_open", GLIBC, NULL },
};
#define N_ROWS (sizeof(creator_rows) / sizeof(creator_rows[0]))

/* One descriptor (or pair) from every creator, then one child. */
static int inventory(const char *how)
{
	int all[2 * N_ROWS], n = 0;

	for (size_t i = 0; i < N_ROWS; i++) {
		int fds[2], r;

		if (creator_rows[i].role != INVENTORY)
			continue;
		r = create(creator_rows[i].name, fds);
		if (r == -2) {
			printf("skipped %s\n", creator_rows[i].name);
			continue;
		}
		if (r < 0)
			die(creator_rows[i].name);
		all[n++] = fds[0];
		if (fds[1] >= 0)
			all[n++] = fds[1];
	}
	print_created(all, n);
	spawn(how, report_argv);
	return 0;
}

static int run(const char *creator, const char *how)
{
	int fds[2], r = create(creator, fds);

	if (r == -2) {
		printf("skipped %s\n", creator);
		return 0;
	}
	if (r < 0)
		die(creator);
	print_created(fds, fds[1] < 0 ? 1 : 2);
	spawn(how, report_argv);
	return 0;
}

/* What the program can see of the library: msg_flags after a recvmsg
 * (flags 0) that brings a descriptor, and F_GETFD of a descriptor it
 * opened without O_CLOEXEC, then after it set the flag itself; then a
 * child, to show the descriptor is kept from it all the same. */
/* What was allocated before main: nothing, with or without the library,
 * whose set-up at load allocates nothing (libnoleak(7), LIMITATIONS). */
static int heap(void)
{
	struct mallinfo2 mi = mallinfo2();
	const char *owner = getenv("_NOLEAK_PID");

	printf("arena %zu\nowner %s\npid %ld\n", mi.arena, owner ? owner : "-",
	       (long)getpid());
	return 0;
}

/* The environment functions on the environment the program started with. */
static int envops(void)
{
	extern char **environ;
	static char b[] = "NOLEAK_PROBE_B=2";

	if (setenv("NOLEAK_PROBE_A", "1", 1) || putenv(b) || unsetenv("NOLEAK_PROBE_C") ||
	    setenv("NOLEAK_PROBE_D", "4", 0))
		die("the environment functions");
	for (char **e = environ; *e; e++)
		puts(*e);
	return 0;
}

/* A thread blocked in open() is cancelled there, open being a
 * cancellation point.  Nothing before it goes through the library. */
static void *open_fifo(void *path)
{
	open(path, O_RDONLY);
	return NULL;
}

static int cancel_open(const char *dir)
{
	static char path[4096];
	pthread_t t;
	void *ret = NULL;

	snprintf(path, sizeof(path), "%s/fifo", dir);
	if (mkfifo(path, 0600) && errno != EEXIST)
		die("mkfifo");
	if (pthread_create(&t, NULL, open_fifo, path))
		die("pthread_create");
	usleep(200000);
	pthread_cancel(t);
	pthread_join(t, &ret);
	printf("cancelled %d\n", ret == PTHREAD_CANCELED);
	return 0;
}

static int looks(void)
{
	int flags, fd = open("/dev/null", O_RDONLY), got = receive_fd(0, &flags);

	if (fd < 0 || got < 0)
		die("looks");
	printf("msg_flags %d\n", flags);
	printf("getfd %d\n", fcntl(fd, F_GETFD));
	printf("created %d\n", fd);
	fflush(stdout);
	spawn("fork-execve", report_argv);
	fcntl(got, F_SETFD, FD_CLOEXEC);
	printf("getfd-set %d\n", fcntl(got, F_GETFD));
	return 0;
}

/* A daemon going to the background: fork, the parent returns from main
 * (its exit handlers run), and the child, once its parent has gone, does
 * what "run" does. */
static int background(const char *creator, const char *how)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid > 0)
		return 0;
	setsid();
	for (int i = 0; i < 1000 && getppid() == parent; i++)
		usleep(10000);
	return run(creator, how);
}

/* The child's side of "big": what arrived, besides descriptors. */
static void report_env(int argc)
{
	const char *preload = getenv("LD_PRELOAD");
	size_t n = 0;

	while (environ[n])
		n++;
	report();
	printf("environ %zu args %d preload %s\n", n, argc,
	       preload ? preload : "-");
}

/* A descriptor the program did not mean to pass, then a child given nargs
 * extra arguments and this process's environment (the caller makes it
 * large), or that environment without LD_PRELOAD when unset says so. */
static int big(const char *how, int nargs, int unset)
{
	char **argv = calloc((size_t)nargs + 3, sizeof(char *));
	int fd = open("/etc/hostname", O_RDONLY);

	if (!argv || fd < 0)
		die("big");
	argv[0] = self;
	argv[1] = "report-env";
	for (int i = 0; i < nargs; i++)
		argv[i + 2] = "an-argument-of-some-length";
	print_created(&fd, 1);
	if (unset)
		unsetenv("LD_PRELOAD");
	spawn(how, argv);
	return 0;
}

/* The descriptor tests/libearly.so opened in its constructor. */
static int early(const char *how)
{
	const char *fd = getenv("NOLEAK_EARLY_FD"), *first = getenv("NOLEAK_EARLY_FIRST");
	int n = fd ? atoi(fd) : -1;

	if (n < 3)
		die("NOLEAK_EARLY_FD");
	printf("first %s\n", first ? first : "-");
	print_created(&n, 1);
	spawn(how, report_argv);
	return 0;
}

/* Every free number filled with descriptors the shim never saw made (raw
 * system calls), so the process is at its limit when it spawns. */
static int emfile(const char *how)
{
	int fds[1024], n = 0, fd;

	while (n < 1024 && (fd = raw_openat("/etc/hostname")) >= 0)
		fds[n++] = fd;
	if (fd != -EMFILE && n < 1024) {
		errno = -fd;
		die("filling the table");
	}
	print_created(fds, n);
	printf("full %d\n", open("/etc/hostname", O_RDONLY) < 0 && errno == EMFILE);
	spawn(how, report_argv);
	return 0;
}

/* The daemonize idiom: 0-2 closed, then /dev/null opened and dup'ed onto
 * them.  Prints the close-on-exec flags of 0, 1 and 2 to a saved stdout. */
static int stdio_idiom(void)
{
	int out = fcntl(1, F_DUPFD_CLOEXEC, 3);
	char line[64];

	close(0);
	close(1);
	close(2);
	if (open("/dev/null", O_RDWR) != 0 || dup(0) != 1 || dup(0) != 2)
		return 1;
	snprintf(line, sizeof(line), "std-cloexec %d %d %d\n",
		 fcntl(0, F_GETFD), fcntl(1, F_GETFD), fcntl(2, F_GETFD));
	return write(out, line, strlen(line)) > 0 ? 0 : 1;
}

/* "close(1); dup(pipe)": the pre-dup2 way of giving a child a new stdout. */
static int old_dup(const char *how)
{
	char *say[] = { NULL, "say", "through-the-pipe", NULL };
	int p[2], out = dup(1);
	char buf[256];
	ssize_t n;

	say[0] = self;
	if (pipe(p))
		die("pipe");
	close(1);
	if (dup(p[1]) != 1)
		die("dup");
	close(p[1]);
	spawn(how, say);
	close(1);
	n = read(p[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	dprintf(out, "read %s\n", n > 0 ? buf : "nothing");
	return 0;
}

static int failexec(const char *creator)
{
	int fds[2];
	struct stat st;

	if (create(creator, fds) < 0)
		die(creator);
	execl("/nonexistent/noleak-probe", "x", (char *)NULL);
	printf("exec-errno %d\n", errno);
	printf("usable %s\n", fcntl(fds[0], F_GETFL) >= 0 &&
	       fstat(fds[0], &st) == 0 ? "yes" : "no");
	return 0;
}

static int freopen_system(const char *path)
{
	if (!freopen(path, "w", stdout))
		die(path);
	fprintf(stderr, "stdout-cloexec %d\n", fcntl(1, F_GETFD));
	return system("echo hello-from-system") == 0 ? 0 : 1;
}

/* Make a descriptor inheritable on purpose, then spawn a reporter. */
static int intent(const char *how, const char *spawn_how)
{
	int fd = open("/etc/hostname", O_RDONLY);
	int target = fd;

	if (fd < 0)
		die("open");
	if (!strcmp(how, "dup2"))
		target = dup2(fd, 20);
	else if (!strcmp(how, "dup3"))
		target = dup3(fd, 21, 0);
	else if (!strcmp(how, "setfd"))
		fcntl(fd, F_SETFD, 0);
	else if (!strcmp(how, "fionclex"))
		ioctl(fd, FIONCLEX);
	else if (!strcmp(how, "dup2-same"))
		dup2(fd, fd);	/* a no-op: says nothing */
	else if (strcmp(how, "none"))
		return 98;
	print_created(&target, 1);
	spawn(spawn_how, report_argv);
	return 0;
}

/* A descriptor the program made close-on-exec itself must stay so, even
 * when the keep-list names its number. */
static int program_cloexec(const char *how)
{
	int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);

	print_created(&fd, 1);
	spawn(how, report_argv);
	return 0;
}

/* A pthread_atfork prepare handler runs inside fork and calls the
 * composites (openpty, tmpfile): nothing may wait there.  (The shim once
 * had a fork lock that made this a hazard.) */
static void prepare(void)
{
	int m, s;
	FILE *f = tmpfile();

	if (openpty(&m, &s, NULL, NULL, NULL) == 0) {
		close(m);
		close(s);
	}
	if (f)
		fclose(f);
}

static void on_alarm(int sig)
{
	pid_t pid = fork();	/* inside whatever the main thread was doing */

	(void)sig;
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static int lock_hazards(void)
{
	struct timespec start, now;
	struct itimerval every = { { 0, 10000 }, { 0, 10000 } };
	pid_t pid;
	long rounds = 0;

	pthread_atfork(prepare, NULL, NULL);
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	printf("atfork ok\n");

	/* A timer signal whose handler forks, while the main thread loops
	 * through openpty.  (Nothing here may
	 * allocate: glibc's fork in a handler that interrupted malloc
	 * deadlocks on its own, shim or not.) */
	signal(SIGALRM, on_alarm);
	setitimer(ITIMER_REAL, &every, NULL);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		int m, s;

		if (openpty(&m, &s, NULL, NULL, NULL) == 0) {
			close(m);
			close(s);
		}
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec < 2);
	setitimer(ITIMER_REAL, &(struct itimerval){ { 0, 0 }, { 0, 0 } }, NULL);
	printf("signal ok %ld\n", rounds);
	return 0;
}

/* ---- what must keep working (issue: nothing lost) -------------------- */

static int wait_status(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A descriptor of KIND (file: /etc/hostname; listen: a TCP listener on
 * loopback), then CMD ARGS with every "{}" replaced by its number. */
static int pass(const char *kind, char **cmd)
{
	char num[16], *argv[64];
	int fd, i;
	pid_t pid;

	if (!strcmp(kind, "listen")) {
		struct sockaddr_in a = { .sin_family = AF_INET };

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (bind(fd, (void *)&a, sizeof(a)) || listen(fd, 1))
			die("listen");
	} else {
		fd = open("/etc/hostname", O_RDONLY);
	}
	snprintf(num, sizeof(num), "%d", fd);
	for (i = 0; i < 63 && cmd[i]; i++) {
		static char subst[64][256];
		char *brace = strstr(cmd[i], "{}");

		argv[i] = cmd[i];
		if (brace) {
			snprintf(subst[i], sizeof(subst[i]), "%.*s%s%s",
				 (int)(brace - cmd[i]), cmd[i], num, brace + 2);
			argv[i] = subst[i];
		}
	}
	argv[i] = NULL;
	printf("fd %d\n", fd);
	pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		child_failed(argv[0]);
	}
	return wait_status(pid);
}

/* fexecve of a script opened without O_CLOEXEC. */
static int fexecve_script(const char *path)
{
	char *argv[] = { (char *)path, NULL };
	int fd = open(path, O_RDONLY);

	fexecve(fd, argv, environ);
	die("fexecve");
	return 1;
}

/* The hand-over conventions: a listening socket at fd 3 (the first one a
 * fresh process opens), announced the way CONV does, to a child started
 * by fork + execve or by an exec in place. */
static int handover(const char *conv, const char *how)
{
	char var[128], pidvar[32];
	char *env[] = { var, pidvar, "PATH=/usr/bin:/bin", NULL };
	int fds[2] = { -1, -1 };
	pid_t pid;

	if (!strcmp(conv, "makeflags")) {
		if (pipe(fds))
			die("pipe");
		snprintf(var, sizeof(var), "MAKEFLAGS= -j4 --jobserver-auth=%d,%d",
			 fds[0], fds[1]);
	} else {
		fds[0] = socket(AF_INET, SOCK_STREAM, 0);
		if (!strcmp(conv, "nginx"))
			snprintf(var, sizeof(var), "NGINX=%d;", fds[0]);
		else if (fds[0] == 3)
			snprintf(var, sizeof(var), "LISTEN_FDS=1");
		else
			die("LISTEN_FDS needs the socket at 3");
	}
	snprintf(pidvar, sizeof(pidvar), "X=1");
	print_created(fds, fds[1] < 0 ? 1 : 2);
	fflush(stdout);
	pid = strcmp(how, "exec") ? fork() : 0;
	if (pid == 0) {
		if (!strcmp(conv, "listen_fds"))
			snprintf(pidvar, sizeof(pidvar), "LISTEN_PID=%d", (int)getpid());
		execve(self, report_argv, env);
		child_failed("execve");
	}
	return wait_status(pid);
}

/* setlock: lock FILE, then become "sleep SECONDS" in place. */
static int setlock(const char *file, const char *seconds)
{
	int fd = open(file, O_RDWR | O_CREAT, 0600);

	if (fd < 0 || flock(fd, LOCK_EX))
		die(file);
	execl("/bin/sleep", "sleep", seconds, (char *)NULL);
	die("execl");
	return 1;
}

/* A prefork server: workers forked without exec accept connections on the
 * listener and report through a pipe, both made before the fork. */
static int prefork(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), p[2], served = 0;
	char buf[64];

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (void *)&a, sizeof(a)) || listen(l, 8) ||
	    getsockname(l, (void *)&a, &len) || pipe(p))
		die("prefork setup");
	for (int w = 0; w < 4; w++) {
		if (fork() == 0) {
			int c = accept(l, NULL, NULL);

			_exit(c >= 0 && write(p[1], "served\n", 7) == 7 ? 0 : 1);
		}
	}
	for (int w = 0; w < 4; w++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);

		if (connect(c, (void *)&a, sizeof(a)))
			die("connect");
	}
	for (int w = 0; w < 4; w++)
		wait(NULL);
	close(p[1]);
	while (read(p[0], buf, 7) == 7)
		served++;
	printf("served %d\n", served);
	return 0;
}

/* posix_spawn with adddup2 onto TARGET (7: the child reports; 1: the
 * child's stdout is a pipe the parent reads). */
static int spawn_dup2(int target)
{
	posix_spawn_file_actions_t fa;
	char *say[] = { self, "say", "via-dup2", NULL };
	int fd = open("/etc/hostname", O_RDONLY), p[2];
	char buf[64] = "";
	pid_t pid;

	if (pipe(p))
		die("pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, target == 1 ? p[1] : fd, target);
	if (posix_spawn(&pid, self, &fa, NULL, target == 1 ? say : report_argv,
			environ))
		die("posix_spawn");
	wait_status(pid);
	close(p[1]);
	if (target == 1 && read(p[0], buf, sizeof(buf) - 1) > 0)
		printf("read %s", buf);
	return 0;
}

/* vfork, dup2 onto stdout, exec. */
static int vfork_dup2(void)
{
	char *say[] = { self, "say", "via-vfork", NULL };
	char buf[64] = "";
	int p[2];
	pid_t pid;

	if (pipe(p))
		die("pipe");
	pid = vfork();
	if (pid == 0) {
		dup2(p[1], 1);
		execv(self, say);
		_exit(127);
	}
	wait_status(pid);
	close(p[1]);
	if (read(p[0], buf, sizeof(buf) - 1) > 0)
		printf("read %s", buf);
	return 0;
}

static int execvp_path(void)
{
	char *argv[] = { "true", NULL };
	pid_t pid = fork();

	if (pid == 0) {
		setenv("PATH", "/nonexistent/a:/nonexistent/b:/usr/bin:/bin", 1);
		execvp("true", argv);
		_exit(127);
	}
	printf("execvp %d\n", wait_status(pid));
	return 0;
}

/* A daemon that ignores SIGCHLD and SIGPIPE starts a helper.  VIA says how
 * it ignores SIGPIPE: signal(), sigaction() or syscall(SYS_rt_sigaction). */
static int signals(const char *via)
{
	char *argv[] = { self, "sigcheck", NULL };
	pid_t pid;

	signal(SIGCHLD, SIG_IGN);
	if (!strcmp(via, "sigaction")) {
		struct sigaction sa = { .sa_handler = SIG_IGN };

		sigaction(SIGPIPE, &sa, NULL);
	} else if (!strcmp(via, "syscall")) {
		struct { void *handler; unsigned long flags; void *restorer;
			 unsigned long mask; } k = { (void *)SIG_IGN, 0, NULL, 0 };

		syscall(SYS_rt_sigaction, SIGPIPE, &k, NULL, 8);
	} else {
		signal(SIGPIPE, SIG_IGN);
	}
	pid = fork();
	if (pid == 0) {
		execv(self, argv);
		_exit(127);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static int sigcheck(void)
{
	struct sigaction sa;
	int rc = system("true");

	printf("system %d\n", rc);
	sigaction(SIGPIPE, NULL, &sa);
	printf("sigpipe %s\n", sa.sa_handler == SIG_IGN ? "ignored" : "default");
	sigaction(SIGHUP, NULL, &sa);
	printf("sighup %s\n", sa.sa_handler == SIG_IGN ? "ignored" : "default");
	return 0;
}

#if defined(__x86_64__) && defined(__GLIBC__)
/* A reference to the old version, as a binary linked before glibc 2.15
 * would have; the name is ours, the symbol is glibc's. */
extern int old_posix_spawn(pid_t *, const char *,
			   const posix_spawn_file_actions_t *,
			   const posix_spawnattr_t *, char *const[], char *const[]);
__asm__(".symver old_posix_spawn, posix_spawn@GLIBC_2.2.5");
extern int old_posix_spawnp(pid_t *, const char *,
			    const posix_spawn_file_actions_t *,
			    const posix_spawnattr_t *, char *const[], char *const[]);
__asm__(".symver old_posix_spawnp, posix_spawnp@GLIBC_2.2.5");

static int spawnp_compat(const char *dir, const char *name)
{
	char *argv[] = { (char *)name, NULL };
	pid_t pid;
	int rc, status = -1;

	setenv("PATH", dir, 1);
	rc = old_posix_spawnp(&pid, name, NULL, NULL, argv, environ);
	if (rc == 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	printf("rc %d status %d\n", rc, status);
	return 0;
}

static int spawn_compat(const char *file)
{
	char *argv[] = { (char *)file, NULL };
	pid_t pid;
	int rc = old_posix_spawn(&pid, file, NULL, NULL, argv, environ);

	printf("rc %d\n", rc);
	if (rc == 0)
		wait_child(pid);
	return 0;
}
#else
static int spawn_compat(const char *file)
{
	printf("rc unsupported\n");
	return 0;
}

static int spawnp_compat(const char *dir, const char *name)
{
	(void)dir;
	(void)name;
	printf("rc unsupported\n");
	return 0;
}
#endif

int main(int argc, char **argv)
{
	ssize_t n;

	if (argc == 2 && !strcmp(argv[1], "heap"))	/* before any allocation */
		return heap();
	if (argc == 3 && !strcmp(argv[1], "cancel-open"))	/* before any call */
		return cancel_open(argv[2]);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0 && strchr(argv[0], '/'))	/* no /proc: trust the caller */
		n = (ssize_t)snprintf(self, sizeof(self), "%s", argv[0]);
	if (n < 0)
		die("/proc/self/exe");
	self[n] = '\0';
	report_argv[0] = self;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A call through the C library first, as every program makes one
	 * before it reaches for a raw system call: the library sets itself
	 * up, and takes what is open as inherited, at the first call it sees
	 * (libnoleak(7), LIMITATIONS). */
	close(open("/dev/null", O_RDONLY | O_CLOEXEC));

	if (argc >= 2 && !strcmp(argv[1], "report")) {	/* extra words: ignored */
		report();
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "say"))
		return puts(argv[2]) < 0;
	if (argc == 4 && !strcmp(argv[1], "run"))
		return run(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "background"))
		return background(argv[2], argv[3]);
	if (argc == 2 && !strcmp(argv[1], "looks"))
		return looks();
	if (argc == 2 && !strcmp(argv[1], "envops"))
		return envops();
	if (argc == 2 && !strcmp(argv[1], "stdio"))
		return stdio_idiom();
	if (argc >= 2 && !strcmp(argv[1], "report-env")) {
		report_env(argc);
		return 0;
	}
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "big"))
		return big(argv[2], atoi(argv[3]), argc == 5 && !strcmp(argv[4], "unset"));
	if (argc == 3 && !strcmp(argv[1], "early"))
		return early(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "emfile"))
		return emfile(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "old-dup"))
		return old_dup(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "failexec"))
		return failexec(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "freopen-system"))
		return freopen_system(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "intent"))
		return intent(argv[2], argv[3]);
	if (argc == 2 && !strcmp(argv[1], "creators")) {
		for (size_t i = 0; i < N_ROWS; i++)
			if (creator_rows[i].role == INVENTORY || creator_rows[i].role == ALONE)
				puts(creator_rows[i].name);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "table")) {
		for (size_t i = 0; i < N_ROWS; i++)
			printf("%s %s%s%s\n", creator_rows[i].name,
			       role_names[creator_rows[i].role],
			       creator_rows[i].why ? " " : "",
			       creator_rows[i].why ? creator_rows[i].why : "");
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "pass"))
		return pass(argv[2], argv + 3);
	if (argc == 3 && !strcmp(argv[1], "fexecve-script"))
		return fexecve_script(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "handover"))
		return handover(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "setlock"))
		return setlock(argv[2], argv[3]);
	if (argc == 2 && !strcmp(argv[1], "prefork"))
		return prefork();
	if (argc == 3 && !strcmp(argv[1], "spawn-dup2"))
		return spawn_dup2(atoi(argv[2]));
	if (argc == 2 && !strcmp(argv[1], "vfork-dup2"))
		return vfork_dup2();
	if (argc == 2 && !strcmp(argv[1], "execvp-path"))
		return execvp_path();
	if ((argc == 2 || argc == 3) && !strcmp(argv[1], "signals"))
		return signals(argc == 3 ? argv[2] : "signal");
	if (argc == 2 && !strcmp(argv[1], "sigcheck"))
		return sigcheck();
	if (argc == 2 && !strcmp(argv[1], "lock-hazards"))
		return lock_hazards();
	if (argc == 3 && !strcmp(argv[1], "inventory"))
		return inventory(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "spawnp-compat"))
		return spawnp_compat(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "spawn-compat"))
		return spawn_compat(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "program-cloexec"))
		return program_cloexec(argv[2]);
	fprintf(stderr, "probe: bad arguments\n");
	return 98;
}
