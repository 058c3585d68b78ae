/* SPDX-License-Identifier: MIT */
/* exact.c: the reproductions of issues 22, 27 and 23 (an exact start, a
 * first call safe anywhere, creation that costs no system call, a set-up
 * that a fork or a signal cannot leave half done, a flag the program set
 * never taken off, a sandboxed process, a dlopen racing the first call,
 * popen as POSIX has it).  tests/exact.sh and tests/sandbox.sh run each
 * case with and without the library and compare.
 *
 * Every case prints plain lines on stdout, written with write(2) so that
 * nothing is buffered across a fork:
 *
 *   exact report                 "inherited N..." (descriptors >= 3)
 *   exact fds N PROG ARGS...     open N descriptors by syscall instructions
 *                                (no close-on-exec, 3 up) and execve PROG by
 *                                one: PROG starts with them inherited, and no
 *                                call went through the library
 *   exact rawfirst HOW           first act: a raw openat, an io_uring
 *                                IORING_OP_OPENAT and IORING_OP_SOCKET; then
 *                                "created A B C" and a child started by HOW
 *                                (fork-execve, system, posix_spawn, wordexp)
 *                                reports what it inherited
 *   exact smallstack CASE        the first call through the library from a
 *                                small stack: clone4k, altstack, thread16k,
 *                                vfork; "CASE status S below B used U"
 *   exact execveat               syscall(SYS_execveat, fd, NULL, ...,
 *                                AT_EMPTY_PATH): "execveat R ERRNO"
 *   exact creators legacy|careful  one of each creator between two markers
 *                                (write(-1, "exact-begin"), "exact-end")
 *   exact spawnlog N             N sockets made close-on-exec by the
 *                                program, then system("true") between the
 *                                markers
 *   exact forkrace HOW DELAY     a fork (_Fork, daemon, sysfork, signal)
 *                                while the first call sets up; the child's
 *                                first open: "child open ok" or "child hung"
 *   exact reexec N DELAY         a SIGALRM handler re-execs the program
 *                                while the first call sets up; the new
 *                                image says "reexec open K of N"
 *   exact closerange FILE        close_range(fd, fd, CLOSE_RANGE_CLOEXEC),
 *                                then F_GETFD and system("cat /dev/fd/N")
 *   exact reuse dir DIR | shm    glibc's own O_CLOEXEC open on the number a
 *                                plain open of the same file had
 *   exact getfd                  F_GETFD by fcntl, fcntl64, syscall()
 *   exact sandbox ACTION NR...   a seccomp filter allowing the system calls
 *                                NR... (ACTION kill, trap, errno; none: no
 *                                filter), then every creator and spawn
 *   exact inherit ACTION NR... -- PROGRAM ARG...
 *                                the same filter (ACTION also deny: EPERM
 *                                for NR..., the rest allowed), installed
 *                                and PROGRAM started in its place by
 *                                system call instructions: a filter
 *                                PROGRAM came with
 *   exact dupleak                dup(2), then whether a fork+exec child
 *                                has it: "leaked" or "kept"
 *   exact dlrace LIB DELAY       a thread dlopen()s LIB while the main
 *                                thread makes the first call
 *   exact popen2 [clear]         two popen("cat", "w") (clear: the first's
 *                                FD_CLOEXEC taken off by F_SETFD 0): which
 *                                pipes each child holds, how long
 *                                pclose(first) takes
 *   exact popen-epipe            pclose with a pending EPIPE
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wordexp.h>

extern char **environ;

enum { PATTERN = 0xa5 };

static char self[4096];

/* say(fmt, ...): one line on stdout by write(2). */
static void say(const char *fmt, ...)
{
	char buf[65536];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)!write(1, buf, (size_t)n);
}

/* raw(n, ...): a system call by a syscall instruction, which no
 * interposer sees; the kernel's value (-errno on failure). */
static long raw(long n, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile ("syscall" : "=a"(ret)
			  : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			  : "rcx", "r11", "memory");
	return ret;
#else
	/* Elsewhere libc's syscall(), which the library wraps: the raw
	 * cases then prove less. */
	long r = syscall(n, a, b, c, d, e, f);
	return r < 0 ? -errno : r;
#endif
}

/* raw_handler(sig, fn, flags): sigaction by a syscall instruction, for
 * the cases whose first call through the library must come after the
 * handler is in place (the library wraps sigaction and signal). */
#if defined(__x86_64__)
void exact_restore_rt(void);
__asm__(".text\n"
	"exact_restore_rt:\n"
	"\tmovq $15, %rax\n"	/* rt_sigreturn */
	"\tsyscall\n");
#endif

static int raw_handler(int sig, void (*fn)(int), unsigned long flags)
{
#if defined(__x86_64__)
	struct { void (*handler)(int); unsigned long flags; void (*restorer)(void);
		 unsigned long mask; } k = { fn, flags | 0x04000000 /* SA_RESTORER */,
					    exact_restore_rt, 0 };

	return (int)raw(SYS_rt_sigaction, sig, (long)&k, 0, 8, 0, 0);
#else
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = (int)flags;
	return sigaction(sig, &sa, NULL);
#endif
}

/* The markers a strace of the program finds between its sections. */
static void mark(const char *what)
{
	(void)!write(-1, what, strlen(what));
}

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

static void spin_us(long us)
{
	long end = now_us() + us;

	while (now_us() < end)
		;
}

/* ---- report: what a child inherited ---------------------------------- */

static int report(void)
{
	char line[65536];
	size_t n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d) {
		say("report: opendir: %s", strerror(errno));
		return 1;
	}
	n += (size_t)snprintf(line, sizeof(line), "inherited");
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fd < 3 || fd == dirfd(d))
			continue;
		if (n < sizeof(line) - 16)
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %d", fd);
	}
	closedir(d);
	say("%s", line);
	return 0;
}

/* ---- fds: start a program with N inherited descriptors --------------- */

static int fds(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 0;
	long fd = raw(SYS_openat, AT_FDCWD, (long)"/dev/null", O_RDONLY, 0, 0, 0);

	if (argc < 4 || fd < 0) {
		say("fds: usage, or /dev/null: %ld", fd);
		return 2;
	}
	for (int i = 1; i < n; i++)
		if (raw(SYS_dup, fd, 0, 0, 0, 0, 0) < 0) {
			say("fds: dup %d failed (the limit?)", i);
			return 2;
		}
	raw(SYS_execve, (long)argv[3], (long)(argv + 3), (long)environ, 0, 0, 0);
	say("fds: execve %s failed", argv[3]);
	return 127;
}

/* ---- rawfirst: descriptors made before the first call ---------------- */

/* uring_one(ring, sqe): submit one request on a ring set up by raw calls
 * and return its result. */
struct ring {
	int fd;
	unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static int uring_setup(struct ring *r)
{
	struct io_uring_params p;
	long fd;
	char *sq, *cq;

	memset(&p, 0, sizeof(p));
	fd = raw(SYS_io_uring_setup, 4, (long)&p, 0, 0, 0, 0);
	if (fd < 0)
		return (int)fd;
	r->fd = (int)fd;
	sq = (char *)raw(SYS_mmap, 0, p.sq_off.array + p.sq_entries * sizeof(unsigned),
			 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
	cq = (char *)raw(SYS_mmap, 0, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
			 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
	r->sqes = (struct io_uring_sqe *)raw(SYS_mmap, 0, p.sq_entries * sizeof(struct io_uring_sqe),
					     PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
					     fd, IORING_OFF_SQES);
	if ((long)sq < 0 && (long)sq > -4096)
		return (int)(long)sq;
	if ((long)cq < 0 && (long)cq > -4096)
		return (int)(long)cq;
	if ((long)r->sqes < 0 && (long)r->sqes > -4096)
		return (int)(long)r->sqes;
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

static int uring_one(struct ring *r, const struct io_uring_sqe *req)
{
	unsigned tail = *r->sq_tail, idx = tail & *r->sq_mask, head;
	long n;
	int res;

	r->sqes[idx] = *req;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	n = raw(SYS_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, 0, 0);
	if (n < 0)
		return (int)n;
	head = *r->cq_head;
	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

static int rawfirst(const char *how)
{
	struct ring r;
	struct io_uring_sqe q;
	long a;
	int b, c, st;
	char *argv[] = { self, "report", NULL };
	char cmd[4200];

	a = raw(SYS_openat, AT_FDCWD, (long)"/dev/null", O_RDONLY, 0, 0, 0);
	if (uring_setup(&r) < 0) {
		say("rawfirst: io_uring_setup failed");
		return 77;
	}
	memset(&q, 0, sizeof(q));
	q.opcode = IORING_OP_OPENAT;
	q.fd = AT_FDCWD;
	q.addr = (unsigned long)"/dev/null";
	q.open_flags = O_RDONLY;
	b = uring_one(&r, &q);
	memset(&q, 0, sizeof(q));
	q.opcode = IORING_OP_SOCKET;
	q.fd = AF_INET;
	q.off = SOCK_STREAM;
	c = uring_one(&r, &q);
	raw(SYS_close, r.fd, 0, 0, 0, 0, 0);
	say("created %ld %d %d", a, b, c);
	if (a < 0 || b < 0 || c < 0)
		return 77;
	snprintf(cmd, sizeof(cmd), "%s report", self);
	if (!strcmp(how, "fork-execve")) {
		pid_t pid = fork();

		if (pid == 0) {
			execve(self, argv, environ);
			_exit(127);
		}
		waitpid(pid, &st, 0);
	} else if (!strcmp(how, "system")) {
		st = system(cmd);
	} else if (!strcmp(how, "posix_spawn")) {
		pid_t pid;

		if (posix_spawn(&pid, self, NULL, NULL, argv, environ) == 0)
			waitpid(pid, &st, 0);
	} else if (!strcmp(how, "wordexp")) {
		wordexp_t w;
		char line[65536];
		size_t n = 0;

		snprintf(cmd, sizeof(cmd), "$(%s report)", self);
		if (wordexp(cmd, &w, 0) != 0) {
			say("rawfirst: wordexp failed");
			return 1;
		}
		line[0] = 0;
		for (size_t i = 0; i < w.we_wordc && n < sizeof(line) - 16; i++)
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", i ? " " : "",
					      w.we_wordv[i]);
		say("%s", line);
		wordfree(&w);
	} else {
		say("rawfirst: no way %s", how);
		return 2;
	}
	return 0;
}

/* ---- smallstack: the first call from little stack -------------------- */

enum { BELOW = 16384 };

/* A painted block: BELOW bytes of the program's heap under a stack of
 * size bytes; below() counts what changed under the stack, used() how deep
 * the stack went. */
static unsigned char *block;
static size_t block_stack;

static void *paint(size_t size)
{
	block = malloc(BELOW + size + 64);
	if (!block)
		abort();
	block_stack = size;
	memset(block, PATTERN, BELOW + size);
	return block + BELOW;
}

static size_t below(void)
{
	size_t n = 0;

	for (size_t i = 0; i < BELOW; i++)
		n += block[i] != PATTERN;
	return n;
}

static size_t used(void)
{
	size_t i = 0;

	while (i < block_stack && block[BELOW + i] == PATTERN)
		i++;
	return block_stack - i;
}

static char *true_argv[] = { "/bin/true", NULL };

static int clone_child(void *arg)
{
	(void)arg;
	execve("/bin/true", true_argv, environ);
	_exit(127);
}

static void on_usr1(int sig)
{
	pid_t pid;
	int st;

	(void)sig;
	pid = fork();
	if (pid == 0) {
		execve("/bin/true", true_argv, environ);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		mark("handler-ok");
	else
		_exit(3);
}

static void *spawn_thread(void *arg)
{
	pid_t pid;
	int st = -1;

	(void)arg;
	if (posix_spawn(&pid, "/bin/true", NULL, NULL, true_argv, environ) == 0)
		waitpid(pid, &st, 0);
	return (void *)(long)st;
}

static void *vfork_thread(void *arg)
{
	pid_t pid;
	int st = -1;

	(void)arg;
	pid = vfork();
	if (pid == 0) {
		execve("/bin/true", true_argv, environ);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
	return (void *)(long)st;
}

static int run_thread(size_t size, void *(*fn)(void *))
{
	pthread_attr_t at;
	pthread_t t;
	void *ret = (void *)-1L;
	char *stack = paint(size);

	pthread_attr_init(&at);
	pthread_attr_setstack(&at, stack, size);
	if (pthread_create(&t, &at, fn, NULL) != 0)
		return -2;
	pthread_join(t, &ret);
	return (int)(long)ret;
}

static int smallstack(const char *c)
{
	int st = -1;

	if (!strcmp(c, "clone4k")) {
		char *stack = paint(4096);
		pid_t pid = clone(clone_child, stack + 4096, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);

		if (pid > 0)
			waitpid(pid, &st, 0);
	} else if (!strcmp(c, "altstack")) {
		stack_t ss = { .ss_sp = paint(8192), .ss_size = 8192 };
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_usr1;
		sa.sa_flags = SA_ONSTACK;
		sigaltstack(&ss, NULL);
		sigaction(SIGUSR1, &sa, NULL);
		raise(SIGUSR1);
		st = 0;
	} else if (!strcmp(c, "thread16k")) {
		st = run_thread(16384, spawn_thread);
	} else if (!strcmp(c, "vfork")) {
		st = run_thread(65536, vfork_thread);
	} else {
		say("smallstack: no case %s", c);
		return 2;
	}
	say("%s status %d below %zu used %zu", c, st, below(), used());
	return 0;
}

/* ---- execveat with a NULL path --------------------------------------- */

static int execveat_null(void)
{
	int fd = open("/bin/true", O_RDONLY);
	long r;

	r = syscall(SYS_execveat, fd, NULL, true_argv, environ, AT_EMPTY_PATH);
	say("execveat %ld %s", r, r < 0 ? strerrorname_np(errno) : "-");
	return 0;
}

/* ---- creators: the system calls of creation -------------------------- */

static int creators(const char *style)
{
	int careful = !strcmp(style, "careful");
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int lis, cli, fd[9], p[2];
	FILE *f, *warm;

	lis = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lis < 0 || bind(lis, (struct sockaddr *)&sin, sizeof(sin)) || listen(lis, 4) ||
	    getsockname(lis, (struct sockaddr *)&sin, &len))
		return 2;
	cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (connect(cli, (struct sockaddr *)&sin, sizeof(sin)))
		return 2;
	/* One of each before the section: lazy binding, the first call's
	 * set-up and stdio's first allocation fall outside it. */
	for (int round = 0; round < 2; round++) {
		if (round)
			mark("exact-begin");
		if (careful) {
			fd[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
			fd[1] = openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC);
			fd[2] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			fd[3] = round ? accept4(lis, NULL, NULL, SOCK_CLOEXEC) : -1;
			fd[4] = fcntl(0, F_DUPFD_CLOEXEC, 0);
			f = fopen("/dev/null", "re");
			fd[5] = eventfd(0, EFD_CLOEXEC);
			fd[6] = epoll_create1(EPOLL_CLOEXEC);
			fd[7] = pipe2(p, O_CLOEXEC);
		} else {
			fd[0] = open("/dev/null", O_RDONLY);
			fd[1] = openat(AT_FDCWD, "/dev/null", O_RDONLY);
			fd[2] = socket(AF_INET, SOCK_STREAM, 0);
			fd[3] = round ? accept(lis, NULL, NULL) : -1;
			fd[4] = dup(0);
			f = fopen("/dev/null", "r");
			fd[5] = eventfd(0, 0);
			fd[6] = epoll_create1(0);
			fd[7] = pipe(p);
		}
		if (round)
			mark("exact-end");
		warm = f;
		for (int i = 0; i < 7; i++) {
			if (fd[i] < 0 && (i != 3 || round))
				say("creators: creator %d failed: %s", i, strerror(errno));
			if (fd[i] >= 0)
				close(fd[i]);
		}
		if (warm)
			fclose(warm);
		if (fd[7] == 0) {
			close(p[0]);
			close(p[1]);
		}
	}
	say("creators %s done", style);
	return 0;
}

/* ---- spawnlog: a spawn beside many descriptors ------------------------ */

static int spawnlog(int n)
{
	for (int i = 0; i < n; i++)
		if (socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0) < 0) {
			say("spawnlog: socket %d: %s", i, strerror(errno));
			return 2;
		}
	(void)!system("true");	/* lazy binding, the first spawn's costs */
	mark("exact-begin");
	(void)!system("true");
	mark("exact-end");
	say("spawnlog %d done", n);
	return 0;
}

/* ---- forkrace: a fork while the first call sets up ------------------- */

static volatile int go, ready;

static void *first_open(void *arg)
{
	(void)arg;
	__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		;
	close(open("/dev/null", O_RDONLY));
	return NULL;
}

/* In a child of the race: the first open must return. */
static void child_open(void)
{
	int fd = open("/dev/null", O_RDONLY);

	say("child open %s", fd >= 0 ? "ok" : "failed");
	_exit(fd >= 0 ? 0 : 1);
}

/* watch(pid): wait up to 5 s for the child; kill it if it hangs. */
static void watch(pid_t pid)
{
	int st;

	if (pid < 0) {
		say("fork failed: %s", strerror(errno));
		return;
	}
	for (int i = 0; i < 500; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				say("child died: status %d", st);
			return;
		}
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	say("child hung");
}

static void on_alarm_fork(int sig)
{
	pid_t pid;

	(void)sig;
	pid = fork();
	if (pid == 0)
		child_open();
	watch(pid);
}

static int forkrace(const char *how, long delay)
{
	pthread_t t;
	pid_t pid;

	if (!strcmp(how, "signal")) {
		struct itimerval it = { .it_value = { 0, delay > 0 ? delay : 1 } };

		raw_handler(SIGALRM, on_alarm_fork, SA_RESTART);
		setitimer(ITIMER_REAL, &it, NULL);
		close(open("/dev/null", O_RDONLY));
		/* The timer may come after the open: wait for it. */
		usleep(delay + 200000);
		say("forkrace %s done", how);
		return 0;
	}
	pthread_create(&t, NULL, first_open, NULL);
	while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
		;
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	spin_us(delay);
	if (!strcmp(how, "_Fork")) {
		pid = _Fork();
		if (pid == 0)
			child_open();
		watch(pid);
	} else if (!strcmp(how, "sysfork")) {
		pid = (pid_t)syscall(SYS_fork);
		if (pid == 0)
			child_open();
		watch(pid);
	} else if (!strcmp(how, "daemon")) {
		/* The parent ends inside daemon(); the child is bounded by an
		 * alarm (no handler: it kills). */
		if (daemon(1, 1) == 0) {
			alarm(5);
			child_open();
		}
		say("daemon failed: %s", strerror(errno));
	} else {
		say("forkrace: no way %s", how);
		return 2;
	}
	pthread_join(t, NULL);
	say("forkrace %s done", how);
	return 0;
}

/* ---- reexec: an exec in place from a handler during the set-up ------- */

static void on_alarm_exec(int sig)
{
	static char arg1[] = "reexec-check";
	char *argv[] = { self, arg1, getenv("EXACT_N"), NULL };

	(void)sig;
	execve(self, argv, environ);
	_exit(126);
}

static int reexec(int n, long delay)
{
	struct itimerval it = { .it_value = { 0, delay > 0 ? delay : 1 } };
	char num[16];

	snprintf(num, sizeof(num), "%d", n);
	setenv("EXACT_N", num, 1);	/* before the race: no allocation in it */
	raw_handler(SIGALRM, on_alarm_exec, 0);
	setitimer(ITIMER_REAL, &it, NULL);
	close(open("/dev/null", O_RDONLY));
	for (int i = 0; i < 100; i++)
		pause();
	return 1;
}

static int reexec_check(int n)
{
	int k = 0, first = -1;

	for (int fd = 3; fd < 3 + n; fd++) {
		if (raw(SYS_fcntl, fd, F_GETFD, 0, 0, 0, 0) >= 0)
			k++;
		else if (first < 0)
			first = fd;
	}
	say("reexec open %d of %d (first missing %d)", k, n, first);
	return 0;
}

/* ---- the program's own close-on-exec flags --------------------------- */

static int closerange(const char *file)
{
	int fd = open(file, O_RDONLY), st;
	char cmd[256];

	if (fd < 0)
		return 2;
	if (close_range((unsigned)fd, (unsigned)fd, CLOSE_RANGE_CLOEXEC)) {
		say("close_range: %s", strerror(errno));
		return 77;
	}
	say("fd %d getfd %d", fd, fcntl(fd, F_GETFD));
	snprintf(cmd, sizeof(cmd), "exec cat /dev/fd/%d >/dev/null 2>&1", fd);
	st = system(cmd);
	say("cat status %d", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}

static int reuse(const char *what, const char *path)
{
	char cmd[4200], name[64], file[128];
	int fd, again, st;
	DIR *d = NULL;

	if (!strcmp(what, "dir")) {
		fd = open(path, O_RDONLY | O_DIRECTORY);
		close(fd);
		d = opendir(path);
		again = d ? dirfd(d) : -1;
	} else {
		snprintf(name, sizeof(name), "/noleak-exact-%d", (int)getpid());
		snprintf(file, sizeof(file), "/dev/shm%s", name);
		fd = open(file, O_RDWR | O_CREAT, 0600);
		close(fd);
		again = shm_open(name, O_RDWR, 0);
		shm_unlink(name);
	}
	say("first %d again %d", fd, again);
	say("getfd %d", fcntl(again, F_GETFD));
	/* A command that names the descriptor, as a hand-over would. */
	snprintf(cmd, sizeof(cmd), "exec /usr/bin/test -e /dev/fd/%d", again);
	st = system(cmd);
	say("child sees it: %s", st == 0 ? "yes" : WIFEXITED(st) && WEXITSTATUS(st) == 1 ? "no" : "failed");
	if (d)
		closedir(d);
	return 0;
}

static int getfd3(void)
{
	int fd = open("/dev/null", O_RDONLY);

	say("getfd %d %d %ld", fcntl(fd, F_GETFD), fcntl64(fd, F_GETFD),
	    syscall(SYS_fcntl, fd, F_GETFD));
	return 0;
}

/* ---- sandbox: a seccomp filter of the program's own ------------------ */

static void step(const char *what, int good)
{
	say("%s %s", what, good ? "ok" : strerrorname_np(errno) ? strerrorname_np(errno) : "failed");
}

/* The filter of ACTION over the system calls nr[0..n): kill, trap or
 * errno (EPERM) for every call but those and what any run needs; deny:
 * EPERM for those, every other call allowed (a container's default
 * profile); none: no filter (*len 0).  -1 when it cannot be built here. */
static int build(const char *action, char **nr, int n, struct sock_filter *f,
		 unsigned short *len)
{
	unsigned k = 0, deflt, listed = SECCOMP_RET_ALLOW;

	*len = 0;
#if !defined(__x86_64__)
	/* The filter below checks for x86-64 alone. */
	(void)nr;
	(void)n;
	(void)f;
	errno = ENOSYS;
	return strcmp(action, "none") ? -1 : 0;
#endif
	if (!strcmp(action, "kill"))
		deflt = SECCOMP_RET_KILL_PROCESS;
	else if (!strcmp(action, "trap"))
		deflt = SECCOMP_RET_TRAP;
	else if (!strcmp(action, "errno"))
		deflt = SECCOMP_RET_ERRNO | EPERM;
	else if (!strcmp(action, "deny")) {
		deflt = SECCOMP_RET_ALLOW;
		listed = SECCOMP_RET_ERRNO | EPERM;
	} else
		return 0;
	if (n > 256) {
		errno = E2BIG;
		return -1;
	}
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	/* What a run may or may not need, whatever the library does: memory,
	 * futexes, returns from signals, the end. */
	static const unsigned always[] = {
		SYS_brk, SYS_mmap, SYS_munmap, SYS_mremap, SYS_madvise, SYS_futex,
		SYS_rt_sigreturn, SYS_restart_syscall, SYS_sched_yield, SYS_exit,
		SYS_exit_group,
	};

	for (size_t i = 0; listed == SECCOMP_RET_ALLOW && i < sizeof(always) / sizeof(always[0]); i++) {
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, always[i], 0, 1);
		f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}
	for (int i = 0; i < n; i++) {
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      (unsigned)atoi(nr[i]), 0, 1);
		f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, listed);
	}
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deflt);
	*len = (unsigned short)k;
	return 0;
}

enum { FILTER_MAX = 2 * (256 + 16) + 8 };

static int install(const char *action, char **nr, int n)
{
	struct sock_filter f[FILTER_MAX];
	struct sock_fprog prog;

	if (build(action, nr, n, f, &prog.len))
		return -1;
	if (!prog.len)
		return 0;
	prog.filter = f;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

#if defined(__x86_64__)
/* A system call instruction of our own: the library, if loaded, sees
 * neither the filter nor the exec. */
static long insn(long nr, long a, long b, long c)
{
	register long d __asm__("r10") = 0, e __asm__("r8") = 0;
	long ret;

	/* prctl wants its unused arguments 0: r10 and r8 too. */
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(d), "r"(e)
			 : "rcx", "r11", "memory");
	return ret;
}
#endif

/* inherit: a launcher that installs the filter and starts argv[0] in
 * its place, both by system call instructions: for the program, a filter
 * it came with, as from systemd, bwrap or a container runtime. */
static int inherit(const char *action, char **nr, int n, char **argv)
{
#if defined(__x86_64__)
	struct sock_filter f[FILTER_MAX];
	struct sock_fprog prog;

	if (build(action, nr, n, f, &prog.len)) {
		say("filter: %s", strerror(errno));
		return 77;
	}
	prog.filter = f;
	if (prog.len && (insn(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0) ||
			 insn(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&prog))) {
		say("filter: cannot install it");
		return 77;
	}
	insn(SYS_execve, (long)argv[0], (long)argv, (long)environ);
	return 127;
#else
	(void)action;
	(void)nr;
	(void)n;
	(void)argv;
	say("filter: x86-64 only");
	return 77;
#endif
}

/* dupleak: dup(2), then whether a fork+exec child has the copy.  Its
 * number goes by the environment: a number in the command's arguments
 * would be a descriptor named to the child (libnoleak(7), rule 5). */
static int dupleak(void)
{
	int fd = dup(2), st;
	char num[16];
	pid_t pid;

	if (fd < 0)
		return 2;
	snprintf(num, sizeof(num), "%d", fd);
	setenv("EXACT_FD", num, 1);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c",
		      "test -e /proc/self/fd/$EXACT_FD && echo leaked || echo kept",
		      (char *)NULL);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

static int sandbox(const char *action, char **nr, int n)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int lis, cli, fd, p[2], st;
	pid_t pid;
	FILE *f;
	char buf[16];

	lis = socket(AF_INET, SOCK_STREAM, 0);
	if (lis < 0 || bind(lis, (struct sockaddr *)&sin, sizeof(sin)) || listen(lis, 4) ||
	    getsockname(lis, (struct sockaddr *)&sin, &len))
		return 2;
	cli = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(cli, (struct sockaddr *)&sin, sizeof(sin)))
		return 2;
	close(open("/dev/null", O_RDONLY));	/* the library set up before */
	mark("exact-sandbox");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || install(action, nr, n)) {
		say("filter: %s", strerror(errno));
		return 77;
	}
	step("filter", 1);
	fd = open("/dev/null", O_RDONLY);
	step("open", fd >= 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	step("socket", fd >= 0);
	fd = accept(lis, NULL, NULL);
	step("accept", fd >= 0);
	step("pipe", pipe(p) == 0);
	fd = dup(0);
	step("dup", fd >= 0);
	pid = fork();
	if (pid == 0) {
		execve("/bin/true", true_argv, environ);
		_exit(127);
	}
	step("fork-execve", pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	     WEXITSTATUS(st) == 0);
	errno = 0;
	step("posix_spawn", posix_spawn(&pid, "/bin/true", NULL, NULL, true_argv, environ) == 0 &&
	     waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = system("exit 3");
	step("system", WIFEXITED(st) && WEXITSTATUS(st) == 3);
	f = popen("echo hi", "r");
	step("popen", f && fgets(buf, sizeof(buf), f) && !strcmp(buf, "hi\n") && pclose(f) == 0);
	say("sandbox done");
	return 0;
}

/* ---- dlrace: dlopen beside the first call ----------------------------- */

static void *do_dlopen(void *lib)
{
	void *h;

	__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		;
	h = dlopen(lib, RTLD_NOW);
	return h;
}

static int dlrace(char *lib, long delay)
{
	pthread_t t;
	void *h;

	pthread_create(&t, NULL, do_dlopen, lib);
	while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
		;
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	spin_us(delay);
	close(open("/dev/null", O_RDONLY));
	pthread_join(t, &h);
	say("dlrace %s", h ? "ok" : dlerror());
	return 0;
}

/* ---- popen --------------------------------------------------------------- */

static unsigned long ino_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long)st.st_ino;
}

/* Every child of this process, and which of the two pipes it holds. */
static void children_pipes(unsigned long i1, unsigned long i2)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char path[300], link[300], buf[512], *p;
		int pid = atoi(e->d_name), fd, ppid = 0;
		ssize_t n;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		p = strrchr(buf, ')');
		if (!p || sscanf(p, ") %*c %d", &ppid) != 1 || ppid != getpid())
			continue;
		{
			char line[512];
			size_t k = (size_t)snprintf(line, sizeof(line), "child %d holds", pid);
			char want1[64], want2[64];
			DIR *fdd;
			struct dirent *fe;

			snprintf(want1, sizeof(want1), "pipe:[%lu]", i1);
			snprintf(want2, sizeof(want2), "pipe:[%lu]", i2);
			snprintf(path, sizeof(path), "/proc/%d/fd", pid);
			fdd = opendir(path);
			while (fdd && (fe = readdir(fdd))) {
				char lp[600];

				if (fe->d_name[0] == '.')
					continue;
				snprintf(lp, sizeof(lp), "%s/%s", path, fe->d_name);
				n = readlink(lp, link, sizeof(link) - 1);
				if (n <= 0)
					continue;
				link[n] = 0;
				if (!strcmp(link, want1))
					k += (size_t)snprintf(line + k, sizeof(line) - k, " %s=first", fe->d_name);
				else if (!strcmp(link, want2))
					k += (size_t)snprintf(line + k, sizeof(line) - k, " %s=second", fe->d_name);
			}
			if (fdd)
				closedir(fdd);
			say("%s", line);
		}
	}
	if (d)
		closedir(d);
}

static FILE *second;

static void on_alarm_close(int sig)
{
	(void)sig;
	close(fileno(second));	/* the second child ends: the first's EOF */
}

static int popen2(int clear)
{
	FILE *f1 = popen("cat >/dev/null", "w");
	long t0;
	int r;

	/* POSIX's rule holds whatever the flag: glibc closes the streams of
	 * earlier popen calls in the child itself. */
	if (clear && f1)
		fcntl(fileno(f1), F_SETFD, 0);
	second = popen("cat >/dev/null", "w");
	if (!f1 || !second)
		return 2;
	usleep(100000);
	children_pipes(ino_of(fileno(f1)), ino_of(fileno(second)));
	signal(SIGALRM, on_alarm_close);
	alarm(3);
	t0 = now_us();
	r = pclose(f1);
	say("pclose first %d after %ld ms", r, (now_us() - t0) / 1000);
	alarm(0);
	pclose(second);
	return 0;
}

static int popen_epipe(void)
{
	FILE *f;
	int r, e;

	signal(SIGPIPE, SIG_IGN);
	f = popen("exec true", "w");
	if (!f)
		return 2;
	usleep(300000);	/* the child has ended */
	fputs("pending\n", f);
	errno = 0;
	r = pclose(f);
	e = errno;
	say("pclose %d %s", r, r < 0 ? strerrorname_np(e) : "-");
	return 0;
}

int main(int argc, char **argv)
{
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *c = argc > 1 ? argv[1] : "";

	if (n > 0)
		self[n] = 0;
	if (!strcmp(c, "report"))
		return report();
	if (!strcmp(c, "fds"))
		return fds(argc, argv);
	if (!strcmp(c, "rawfirst") && argc > 2)
		return rawfirst(argv[2]);
	if (!strcmp(c, "smallstack") && argc > 2)
		return smallstack(argv[2]);
	if (!strcmp(c, "execveat"))
		return execveat_null();
	if (!strcmp(c, "creators") && argc > 2)
		return creators(argv[2]);
	if (!strcmp(c, "spawnlog") && argc > 2)
		return spawnlog(atoi(argv[2]));
	if (!strcmp(c, "forkrace") && argc > 3)
		return forkrace(argv[2], atol(argv[3]));
	if (!strcmp(c, "reexec") && argc > 3)
		return reexec(atoi(argv[2]), atol(argv[3]));
	if (!strcmp(c, "reexec-check") && argc > 2)
		return reexec_check(atoi(argv[2]));
	if (!strcmp(c, "closerange") && argc > 2)
		return closerange(argv[2]);
	if (!strcmp(c, "reuse") && argc > 2)
		return reuse(argv[2], argc > 3 ? argv[3] : "");
	if (!strcmp(c, "getfd"))
		return getfd3();
	if (!strcmp(c, "sandbox") && argc > 2)
		return sandbox(argv[2], argv + 3, argc - 3);
	if (!strcmp(c, "inherit") && argc > 3) {
		int dash = 3;

		while (dash < argc && strcmp(argv[dash], "--"))
			dash++;
		if (dash + 1 < argc)
			return inherit(argv[2], argv + 3, dash - 3, argv + dash + 1);
	}
	if (!strcmp(c, "dupleak"))
		return dupleak();
	if (!strcmp(c, "dlrace") && argc > 3)
		return dlrace(argv[2], atol(argv[3]));
	if (!strcmp(c, "popen2"))
		return popen2(argc > 2 && !strcmp(argv[2], "clear"));
	if (!strcmp(c, "popen-epipe"))
		return popen_epipe();
	say("usage: exact CASE ARGS... (see the file's header)");
	return 2;
}
