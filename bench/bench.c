/* SPDX-License-Identifier: MIT */
/* bench.c: what the shim costs, measured side by side.
 *
 * Run without arguments (make bench), it is the driver: it starts itself
 * as a worker, with and without LD_PRELOAD=$NOLEAK_LIBRARY, alternating
 * the two for ROUNDS rounds, and prints the median of each side and their
 * ratio.  Absolute times vary with the machine; the ratios are the result.
 *
 * Workers:
 *   bench percall OP N        N create+close round trips of OP; ns per trip
 *   bench spawn HOW FDS K     K spawns of /bin/true with FDS descriptors open
 *   bench load LIB K          K fork+execs of /bin/true with LD_PRELOAD=LIB
 *   bench shell-loop LIB K    a shell loop starting /bin/true K times, every
 *                             process with LD_PRELOAD=LIB, NOLEAK_SCOPE=tree
 *   bench rss all|private     resident (or private) memory in KiB
 *   bench sweep-loop N        ns per descriptor of the bounded-loop fallback
 *
 * Environment: NOLEAK_LIBRARY (the library), BENCH_EMPTY_LIBRARY (a library
 * with nothing in it, for the floor of the load row), BENCH_ROUNDS (default 9),
 * BENCH_QUICK=1 (fewer iterations, for a smoke run), BENCH_ONLY=start (only
 * the process-start rows, section 5). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static char self[4096];
static int quick;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* ---- workers --------------------------------------------------------- */

static int listener(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (void *)a, sizeof(*a)) || listen(l, 1024) ||
	    getsockname(l, (void *)a, &len))
		die("listen");
	return l;
}

static double percall(const char *op, long n)
{
	struct sockaddr_in a;
	int l = -1, fds[2];
	double t0;

	if (!strncmp(op, "accept", 6))
		l = listener(&a);
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		if (!strcmp(op, "open"))
			close(open("/dev/null", O_RDONLY));
		else if (!strcmp(op, "openat"))
			close(openat(AT_FDCWD, "/dev/null", O_RDONLY));
		else if (!strcmp(op, "socket"))
			close(socket(AF_UNIX, SOCK_STREAM, 0));
		else if (!strcmp(op, "pipe")) {
			if (pipe(fds))
				die("pipe");
			close(fds[0]);
			close(fds[1]);
		} else if (!strcmp(op, "dup"))
			close(dup(0));
		else if (!strcmp(op, "dup-cloexec"))
			close(fcntl(0, F_DUPFD_CLOEXEC, 0));
		else if (!strcmp(op, "open-cloexec"))
			close(open("/dev/null", O_RDONLY | O_CLOEXEC));
		else if (!strcmp(op, "openat-cloexec"))
			close(openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC));
		else if (!strcmp(op, "socket-cloexec"))
			close(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
		else if (!strcmp(op, "pipe-cloexec")) {
			if (pipe2(fds, O_CLOEXEC))
				die("pipe2");
			close(fds[0]);
			close(fds[1]);
		} else if (!strcmp(op, "fopen"))
			fclose(fopen("/dev/null", "r"));
		else if (!strcmp(op, "fopen-cloexec"))
			fclose(fopen("/dev/null", "re"));
		else if (!strcmp(op, "epoll_create1"))
			close(epoll_create1(0));
		else if (!strcmp(op, "eventfd"))
			close(eventfd(0, 0));
		else if (!strcmp(op, "eventfd-cloexec"))
			close(eventfd(0, EFD_CLOEXEC));
		else if (!strcmp(op, "epoll_create1-cloexec"))
			close(epoll_create1(EPOLL_CLOEXEC));
		else if (!strcmp(op, "accept") || !strcmp(op, "accept-cloexec")) {
			/* the connect is part of the trip on both sides */
			int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

			if (connect(c, (void *)&a, sizeof(a)))
				die("connect");
			if (op[6])
				close(accept4(l, NULL, NULL, SOCK_CLOEXEC));
			else
				close(accept(l, NULL, NULL));
			close(c);
		} else {
			fprintf(stderr, "bench: unknown op %s\n", op);
			exit(2);
		}
	}
	return (now_ns() - t0) / n;
}

/* k fork+execs of /bin/true with LD_PRELOAD=lib ("-": none) in its
 * environment; this process itself runs without any. */
static double load(const char *lib, long k)
{
	char *argv[] = { "/bin/true", NULL };
	char preload[4200];
	char *env[] = { preload, NULL };
	double t0;

	snprintf(preload, sizeof(preload), "%s%s", strcmp(lib, "-") ? "LD_PRELOAD=" : "X=",
		 strcmp(lib, "-") ? lib : "");
	t0 = now_ns();
	for (long i = 0; i < k; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			execve(argv[0], argv, env);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
	}
	return (now_ns() - t0) / k;
}

/* A shell loop starting k short programs (/bin/true), every process of it
 * under LIB ("-": none) in the tree scope, as a host-wide install has it;
 * ns per program started. */
static double shell_loop(const char *lib, long k)
{
	char preload[4200], count[32];
	char *env[] = { "PATH=/usr/bin:/bin", "NOLEAK_SCOPE=tree", preload, NULL };
	char *argv[] = { "/bin/sh", "-c",
			 "i=0; while [ $i -lt $1 ]; do /bin/true; i=$((i + 1)); done",
			 "loop", count, NULL };
	double t0;
	pid_t pid;

	snprintf(preload, sizeof(preload), "%s%s", strcmp(lib, "-") ? "LD_PRELOAD=" : "X=",
		 strcmp(lib, "-") ? lib : "");
	snprintf(count, sizeof(count), "%ld", k);
	t0 = now_ns();
	pid = fork();
	if (pid == 0) {
		execve(argv[0], argv, env);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	return (now_ns() - t0) / k;
}

/* n descriptors, as a leaky program makes them, or (marked) already
 * close-on-exec, as a careful one does. */
static void open_fds(int n, int marked)
{
	int base = open("/dev/null", O_RDONLY | (marked ? O_CLOEXEC : 0));

	for (int i = 1; i < n; i++)
		if (fcntl(base, marked ? F_DUPFD_CLOEXEC : F_DUPFD, 0) < 0)
			die("dup (raise the descriptor limit)");
}

/* The child side of the alternatives that close by hand. */
static void close_all_by_loop(void)
{
	struct rlimit rl;

	getrlimit(RLIMIT_NOFILE, &rl);
	for (long fd = 3; fd < (long)rl.rlim_cur; fd++)
		close((int)fd);
}

static void close_all_by_proc(void)
{
	char buf[4096];
	int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long n;

	/* The JDK's way: every entry, closed, then the listing again. */
	while ((n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		int closed = 0;

		for (long off = 0; off < n;) {
			unsigned short reclen;
			const char *name = buf + off + 19;
			int fd;

			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			off += reclen;
			fd = atoi(name);
			if (name[0] != '.' && fd >= 3 && fd != dir) {
				close(fd);
				closed = 1;
			}
		}
		if (closed)
			lseek(dir, 0, SEEK_SET);
	}
	close(dir);
}

static double spawn(const char *how, int nfds, long k)
{
	char *argv[] = { "/bin/true", NULL };
	double t0;

	open_fds(nfds, !strcmp(how, "fork-exec-marked"));
	if (!strcmp(how, "fork-exec-marked"))
		how = "fork-exec";
	t0 = now_ns();
	for (long i = 0; i < k; i++) {
		pid_t pid = -1;

		if (!strcmp(how, "fork-exec") || !strncmp(how, "hand-", 5) ||
		    !strcmp(how, "close_range")) {
			pid = fork();
			if (pid == 0) {
				if (!strcmp(how, "hand-loop"))
					close_all_by_loop();
				else if (!strcmp(how, "hand-proc"))
					close_all_by_proc();
				else if (!strcmp(how, "close_range"))
					syscall(SYS_close_range, 3, ~0U, 0);
				execve(argv[0], argv, environ);
				_exit(127);
			}
		} else if (!strcmp(how, "posix_spawn")) {
			if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ))
				die("posix_spawn");
		} else if (!strcmp(how, "addclosefrom")) {
			posix_spawn_file_actions_t fa;

			posix_spawn_file_actions_init(&fa);
			posix_spawn_file_actions_addclosefrom_np(&fa, 3);
			if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ))
				die("posix_spawn");
			posix_spawn_file_actions_destroy(&fa);
		} else if (!strcmp(how, "system")) {
			system("/bin/true");
		} else if (!strcmp(how, "popen")) {
			pclose(popen("/bin/true", "r"));
		} else {
			fprintf(stderr, "bench: unknown spawn %s\n", how);
			exit(2);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	return (now_ns() - t0) / k;
}

/* Resident memory in KiB: all of it (private = 0), or only the pages this
 * process wrote, which no other process can share (private = 1). */
static long rss_kib(int private)
{
	char line[256];
	long kib = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (private ? !strncmp(line, "Private_Dirty:", 14)
			    : !strncmp(line, "Rss:", 4))
			kib += atol(strchr(line, ':') + 1);
	if (f)
		fclose(f);
	return kib;
}

/* ---- the driver ------------------------------------------------------ */

enum { NO_SHIM, SHIM, EMPTY_LIBRARY };

/* Run this program as a worker with args, with the shim, without it, or
 * with an empty library preloaded; returns the number it printed. */
static double worker(int shim, char *const *args)
{
	char *argv[16], preload[4200], out[128] = "";
	char *env[] = { "PATH=/usr/bin:/bin", preload, NULL };
	int p[2], i = 0;
	pid_t pid;
	ssize_t n;

	snprintf(preload, sizeof(preload), "%s%s", shim ? "LD_PRELOAD=" : "X=",
		 shim == SHIM ? getenv("NOLEAK_LIBRARY") :
		 shim == EMPTY_LIBRARY ? getenv("BENCH_EMPTY_LIBRARY") : "");
	argv[i++] = self;
	while (*args && i < 15)
		argv[i++] = *args++;
	argv[i] = NULL;
	if (pipe2(p, O_CLOEXEC))
		die("pipe");
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execve(self, argv, env);
		_exit(127);
	}
	close(p[1]);
	n = read(p[0], out, sizeof(out) - 1);
	close(p[0]);
	waitpid(pid, NULL, 0);
	if (n <= 0) {
		fprintf(stderr, "bench: worker %s %s printed nothing\n", argv[1],
			argv[2] ? argv[2] : "");
		exit(2);
	}
	return atof(out);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

static int rounds(void)
{
	const char *r = getenv("BENCH_ROUNDS");

	return r && atoi(r) > 0 && atoi(r) < 64 ? atoi(r) : (quick ? 3 : 9);
}

/* Alternate A and B; medians in *a and *b. */
static void side_by_side(int shim_a, char *const *args_a, int shim_b,
			 char *const *args_b, double *a, double *b)
{
	double va[64], vb[64];
	int r = rounds();

	for (int i = 0; i < r; i++) {
		va[i] = worker(shim_a, args_a);
		vb[i] = worker(shim_b, args_b);
	}
	*a = median(va, r);
	*b = median(vb, r);
}

static void header(void)
{
	struct utsname u;
	char line[256], model[256] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "r");
	struct rlimit rl;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(model, sizeof(model), "%s", strchr(line, ':') + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	if (f)
		fclose(f);
	uname(&u);
	getrlimit(RLIMIT_NOFILE, &rl);
	printf("noleak benchmark: %s, %ld cores, Linux %s, glibc %s\n", model,
	       sysconf(_SC_NPROCESSORS_ONLN), u.release, gnu_get_libc_version());
	printf("RLIMIT_NOFILE soft %lu hard %lu; %d rounds, A and B alternating, medians\n\n",
	       (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max, rounds());
}

static char num[8][32];

static char *fmt(int slot, long v)
{
	snprintf(num[slot], sizeof(num[slot]), "%ld", v);
	return num[slot];
}

/* Each creator as a legacy program writes it, under the shim, against
 * the careful program: the same work written by hand with close-on-exec
 * asked for atomically (O_CLOEXEC, SOCK_CLOEXEC, pipe2, F_DUPFD_CLOEXEC,
 * fopen's "e", accept4), no shim.  That is the floor: the shim turns the
 * one into the other, and should cost nothing more. */
static void section_percall(void)
{
	static char *ops[] = { "open", "openat", "socket", "accept", "pipe",
			       "dup", "fopen", "epoll_create1", "eventfd" };
	long n = quick ? 20000 : 100000;

	printf("1. Per call: create+close round trips of a legacy program with the shim, over the\n"
	       "   careful program (close-on-exec asked for by hand, no shim) (target <= 1.02)\n");
	printf("   %-14s %12s %12s %8s %12s %8s\n", "call", "careful ns", "shim ns", "ratio",
	       "legacy ns", "shim/leg");
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		char *args[] = { "percall", ops[i], fmt(0, !strcmp(ops[i], "accept") ? n / 10 : n), NULL };
		char careful[32];
		char *hand[] = { "percall", careful, args[2], NULL };
		double a, b, c, d;

		snprintf(careful, sizeof(careful), "%s-cloexec", ops[i]);
		side_by_side(0, hand, 1, args, &a, &b);
		side_by_side(0, args, 1, args, &c, &d);
		printf("   %-14s %12.0f %12.0f %8.3f %12.0f %8.3f\n", ops[i], a, b, b / a, c, d / c);
		if (i == 0) {	/* the same on both sides: the noise floor */
			side_by_side(0, hand, 0, hand, &a, &b);
			printf("   %-14s %12.0f %12.0f %8.3f   <- A/A control: the careful program on both sides\n",
			       ops[i], a, b, b / a);
		}
	}
	printf("\n");
}

static void section_spawn(void)
{
	static char *hows[] = { "fork-exec", "posix_spawn", "system", "popen" };
	static const int counts[] = { 10, 1000, 10000 };

	printf("2. Spawn of /bin/true, with the shim over without it (the leaking baseline; target <= 1.05)\n");
	printf("   %-12s %6s %12s %12s %8s\n", "how", "fds", "without us", "with us", "ratio");
	for (size_t c = 0; c < 3; c++)
		for (size_t i = 0; i < 4; i++) {
			long k = counts[c] >= 10000 ? 60 : 150;
			char *args[] = { "spawn", hows[i], fmt(0, counts[c]),
					 fmt(1, quick ? k / 5 : k), NULL };
			double a, b;

			side_by_side(0, args, 1, args, &a, &b);
			printf("   %-12s %6d %12.1f %12.1f %8.3f\n", hows[i], counts[c],
			       a / 1000, b / 1000, b / a);
			if (c == 0 && i == 0) {
				side_by_side(0, args, 0, args, &a, &b);
				printf("   %-12s %6d %12.1f %12.1f %8.3f   <- A/A control\n",
				       hows[i], counts[c], a / 1000, b / 1000, b / a);
			}
			if (i == 0) {
				/* The kernel closes close-on-exec descriptors
				 * at exec, in the child's time; leaked ones
				 * are closed at exit, after it.  The floor is
				 * a careful program, without the shim. */
				char *marked[] = { "spawn", "fork-exec-marked", args[2],
						   args[3], NULL };

				side_by_side(0, marked, 1, args, &a, &b);
				printf("   %-12s %6d %12.1f %12.1f %8.3f   <- floor: the shim over the same descriptors\n"
				       "   %26s close-on-exec from the start, no shim\n",
				       hows[i], counts[c], a / 1000, b / 1000, b / a, "");
			}
		}
	printf("\n");
}

static void section_alternatives(void)
{
	static char *alts[] = { "hand-loop", "hand-proc", "addclosefrom", "close_range" };
	static const char *names[] = {
		"close() every number below RLIMIT_NOFILE (the classic fix)",
		"walk /proc/self/fd and close each (the JDK's way)",
		"posix_spawn_file_actions_addclosefrom_np (glibc 2.34)",
		"bare close_range(3, ~0U, 0) in the child (the floor)",
	};
	static const int counts[] = { 10, 1000, 10000 };

	printf("3. The shim (fork+exec under it) against closing by hand (fork+exec without it)\n");
	printf("   ratio = the alternative's time over the shim's: above 1, the shim is faster\n");
	for (size_t i = 0; i < 4; i++) {
		printf("   %s\n", names[i]);
		for (size_t c = 0; c < 3; c++) {
			long k = !strcmp(alts[i], "hand-loop") ? 10 :
				 !strcmp(alts[i], "hand-proc") && counts[c] >= 10000 ? 10 : 100;
			char *mine[] = { "spawn", "fork-exec", fmt(0, counts[c]),
					 fmt(1, quick ? k / 5 : k), NULL };
			char *theirs[] = { "spawn", alts[i], fmt(2, counts[c]),
					   fmt(3, quick ? k / 5 : k), NULL };
			double a, b;

			side_by_side(1, mine, 0, theirs, &a, &b);
			printf("     %6d fds: shim %9.1f us, alternative %9.1f us, ratio %7.2f\n",
			       counts[c], a / 1000, b / 1000, b / a);
		}
	}
	printf("   CPython subprocess.run(close_fds=True): see 3b below\n\n");
}

static void section_python(void)
{
	static const int counts[] = { 10, 1000, 10000 };

	printf("3b. CPython subprocess.run(['/bin/true'], close_fds=True) against the shim's fork+exec\n");
	if (system("python3 -c 'import subprocess' 2>/dev/null") != 0) {
		printf("   python3 is not installed: row skipped\n\n");
		return;
	}
	for (size_t c = 0; c < 3; c++) {
		char *mine[] = { "spawn", "fork-exec", fmt(0, counts[c]), fmt(1, quick ? 40 : 100), NULL };
		char *py[] = { "python", fmt(2, counts[c]), fmt(3, quick ? 40 : 100), NULL };
		double a, b;

		side_by_side(1, mine, 0, py, &a, &b);
		printf("     %6d fds: shim %9.1f us, python %9.1f us, ratio %7.2f\n",
		       counts[c], a / 1000, b / 1000, b / a);
	}
	printf("\n");
}

static double python_worker(int nfds, long k)
{
	char cmd[1024];
	FILE *p;
	double ns = -1;

	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import os, subprocess, time\n"
		 "fd = os.open(\"/dev/null\", os.O_RDONLY)\n"
		 "[os.dup(fd) for _ in range(%d)]\n"
		 "t = time.monotonic_ns()\n"
		 "for _ in range(%ld): subprocess.run([\"/bin/true\"], close_fds=True)\n"
		 "print((time.monotonic_ns() - t) / %ld)'", nfds - 1, k, k);
	p = popen(cmd, "r");
	if (p && fscanf(p, "%lf", &ns) != 1)
		ns = -1;
	if (p)
		pclose(p);
	return ns;
}

/* Run a worker under the shim with the soft limit set to soft. */
static double at_limit(rlim_t soft, char *const *args)
{
	struct rlimit rl, saved;
	double v;

	getrlimit(RLIMIT_NOFILE, &saved);
	rl = saved;
	rl.rlim_cur = soft;
	setrlimit(RLIMIT_NOFILE, &rl);
	v = worker(1, args);
	setrlimit(RLIMIT_NOFILE, &saved);
	return v;
}

static void section_rlimit(void)
{
	struct rlimit rl;
	rlim_t low = 64, high;
	long nr_open = 0;
	char *args[] = { "spawn", "fork-exec", "10", fmt(0, quick ? 40 : 150), NULL };
	char *loop[] = { "sweep-loop", "1000000", NULL };
	double vl[64], vh[64], per_fd;
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	int r = rounds();

	if (f && fscanf(f, "%ld", &nr_open) != 1)
		nr_open = 0;
	if (f)
		fclose(f);
	/* The highest limit the machine allows: fs.nr_open, if we may. */
	getrlimit(RLIMIT_NOFILE, &rl);
	if (nr_open > (long)rl.rlim_max) {
		struct rlimit up = { (rlim_t)nr_open, (rlim_t)nr_open };

		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
		else
			printf("   raising the hard limit to fs.nr_open (%ld) was refused: %s\n",
			       nr_open, strerror(errno));
	}
	high = rl.rlim_max;
	printf("4. RLIMIT_NOFILE: fork+exec under the shim at the lowest and highest soft limit\n");
	for (int i = 0; i < r; i++) {
		vl[i] = at_limit(low, args);
		vh[i] = at_limit(high, args);
	}
	printf("   soft %lu: %.1f us; soft %lu: %.1f us; ratio %.3f (flat: close_range)\n",
	       (unsigned long)low, median(vl, r) / 1000, (unsigned long)high,
	       median(vh, r) / 1000, median(vh, r) / median(vl, r));
	per_fd = worker(0, loop);
	printf("   the bounded-loop fallback (no close_range, no /proc): %.1f ns per number,\n"
	       "   so %.1f ms per exec at 1,048,576 (computed from the measured cost)\n\n",
	       per_fd, per_fd * 1048576 / 1e6);
}

/* Run the n workers args[0..n-1] (none under the shim: each names its
 * library itself) in turn, rounds times; the median time of each in
 * med[]; in ratio[j] the median over rounds of its time over args[0]'s in
 * the same round, and in step[j] over args[j-1]'s, which a machine whose
 * speed drifts between rounds (another job, a virtual machine's
 * neighbours) disturbs least. */
static void interleave(int n, char *const *const *args, int rounds_n, double *med,
		       double *ratio, double *step)
{
	double v[3][64], r[64];

	for (int i = 0; i < rounds_n; i++)
		for (int j = 0; j < n; j++)
			v[j][i] = worker(0, args[j]);
	for (int j = 0; j < n; j++) {
		for (int i = 0; i < rounds_n; i++)
			r[i] = v[j][i] / v[0][i];
		ratio[j] = median(r, rounds_n);
		for (int i = 0; i < rounds_n; i++)
			r[i] = v[j][i] / v[j ? j - 1 : 0][i];
		step[j] = median(r, rounds_n);
	}
	for (int j = 0; j < n; j++)
		med[j] = median(v[j], rounds_n);
}

static void section_load(void)
{
	/* Short batches, many rounds: a process start is a few milliseconds
	 * and its time has a long tail. */
	int r = rounds() * 3 > 63 ? 63 : rounds() * 3;
	char *k = fmt(0, quick ? 30 : 100);
	const char *shim_lib = getenv("NOLEAK_LIBRARY"), *empty_lib = getenv("BENCH_EMPTY_LIBRARY");
	char *none[] = { "load", "-", k, NULL };
	char *shim[] = { "load", (char *)shim_lib, k, NULL };
	char *empty[] = { "load", (char *)empty_lib, k, NULL };
	char *loop_none[] = { "shell-loop", "-", k, NULL };
	char *loop_shim[] = { "shell-loop", (char *)shim_lib, k, NULL };
	char *loop_empty[] = { "shell-loop", (char *)empty_lib, k, NULL };
	char *const *starts[] = { none, empty, shim };
	char *const *loops[] = { loop_none, loop_empty, loop_shim };
	char *rss[] = { "rss", "all", NULL };
	char *priv[] = { "rss", "private", NULL };
	double a, b, med[3], ratio[3], step[3];
	int n = empty_lib ? 3 : 2;

	if (!empty_lib) {
		starts[1] = shim;
		loops[1] = loop_shim;
	}
	printf("5. Process start (fork+exec of /bin/true, the library in its LD_PRELOAD),\n"
	       "   %d rounds of %s starts, alternating; ratios are medians of each round's ratio\n", r, k);
	interleave(n, starts, r, med, ratio, step);
	printf("   /bin/true: %.1f us without a library", med[0] / 1000);
	if (empty_lib)
		printf(", %.1f us with an empty one (%.3f)", med[1] / 1000, ratio[1]);
	printf(",\n     %.1f us with libnoleak.so (%.3f; target <= 1.05)\n", med[n - 1] / 1000,
	       ratio[n - 1]);
	if (empty_lib) {
		/* The floor: any preloaded library, even one with nothing in
		 * it, costs an open, a few mmaps and a relocation pass. */
		printf("   libnoleak.so over the empty library: ratio %.3f (target <= 1.03)\n",
		       step[2]);
	}
	interleave(n, loops, r, med, ratio, step);
	printf("   a shell loop starting programs, every process under the library (tree scope):\n"
	       "     %.1f us a program without a library", med[0] / 1000);
	if (empty_lib)
		printf(", %.1f us with the empty one in every process (%.3f)", med[1] / 1000,
		       ratio[1]);
	printf(",\n     %.1f us with libnoleak.so (%.3f; target <= 1.05)\n", med[n - 1] / 1000,
	       ratio[n - 1]);
	if (empty_lib)
		printf("     libnoleak.so over the empty library: ratio %.3f\n", step[2]);
	side_by_side(0, priv, 1, priv, &a, &b);
	printf("   memory written (Private_Dirty, what no other process can share): %.0f KiB without,\n"
	       "     %.0f KiB with: the shim adds %.0f KiB (target < 64)\n", a, b, b - a);
	side_by_side(0, rss, 1, rss, &a, &b);
	printf("   resident set, clean file pages included: %.0f KiB without, %.0f KiB with: %.0f KiB more\n"
	       "     (the library's code, at most 76 KiB mapped, and the pages of libc's symbol\n"
	       "     tables dlsym reads: clean page cache, shared by every process using them)\n",
	       a, b, b - a);
}

int main(int argc, char **argv)
{
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *only = getenv("BENCH_ONLY");
	struct rlimit rl;

	if (n < 0)
		die("/proc/self/exe");
	self[n] = '\0';
	quick = getenv("BENCH_QUICK") != NULL;

	if (argc == 4 && !strcmp(argv[1], "percall")) {
		printf("%f\n", percall(argv[2], atol(argv[3])));
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "spawn")) {
		printf("%f\n", spawn(argv[2], atoi(argv[3]), atol(argv[4])));
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "shell-loop")) {
		printf("%f\n", shell_loop(argv[2], atol(argv[3])));
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "load")) {
		printf("%f\n", load(argv[2], atol(argv[3])));
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "python")) {
		printf("%f\n", python_worker(atoi(argv[2]), atol(argv[3])));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "rss")) {
		close(open("/dev/null", O_RDONLY));
		fclose(fopen("/dev/null", "r"));
		printf("%ld\n", rss_kib(!strcmp(argv[2], "private")));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "sweep-loop")) {
		long n_fds = atol(argv[2]);
		double t0 = now_ns();

		for (long fd = 100000; fd < 100000 + n_fds; fd++)
			fcntl((int)fd, F_GETFD);
		printf("%f\n", (now_ns() - t0) / n_fds);
		return 0;
	}
	if (argc != 1 || !getenv("NOLEAK_LIBRARY")) {
		fprintf(stderr, "usage: NOLEAK_LIBRARY=path bench\n");
		return 2;
	}

	/* Enough descriptors for the 10,000-descriptor rows. */
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < 20000 && rl.rlim_max >= 20000) {
		rl.rlim_cur = 20000;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	header();
	if (only && strcmp(only, "start")) {
		fprintf(stderr, "bench: BENCH_ONLY=%s: the one section that can run alone is \"start\"\n",
			only);
		return 2;
	}
	if (!only) {
		section_percall();
		section_spawn();
		section_alternatives();
		section_python();
		section_rlimit();
	}
	section_load();
	return 0;
}
