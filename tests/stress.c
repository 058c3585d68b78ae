/* SPDX-License-Identifier: MIT */
/* stress.c: everything that makes descriptors, at once, while children are
 * started through every path; every child reports what it inherited.
 *
 *   stress SECONDS        run; print per-path and per-creator numbers and a
 *                         last line "spawns N reports M leaked L bad B
 *                         creations C seconds S rate R"
 *   stress report PATH    (the child) print "leaked N PATH fd=what..."
 *
 * Threads:
 *  - two creators cycling through open, socket, pipe, pipe2, accept on a
 *    loopback listener, dup, openpty, fopen, eventfd, memfd_create and
 *    timerfd_create, each keeping the last few descriptors open;
 *  - a raw creator: dup and openat by a syscall instruction, without
 *    O_CLOEXEC, which no interposer sees; the sweep must still catch them;
 *  - with liburing, a thread making descriptors in the kernel's io_uring
 *    workers (IORING_OP_OPENAT, SOCKET, ACCEPT with IOSQE_ASYNC), also
 *    without close-on-exec and also unseen;
 *  - a thread that takes SIGALRM every 3 ms (setitimer): the handler opens
 *    a file and, every 16th time, forks and execs a reporting child;
 *  - a watchdog: no spawn may take 20 s (exit status 3);
 *  - the main thread, which starts children by fork+execve, vfork+execve,
 *    posix_spawn, posix_spawnp, system and popen in turn.
 * A pthread_atfork handler opens and closes a stdio stream at every fork.
 *
 * Nothing is passed to any child on purpose: every descriptor >= 3 a child
 * finds is a leak.  The creators open distinct files (in a temporary
 * directory) so a leaked descriptor's target names the creator.
 *
 * The signal handler runs only in its own thread (SIGALRM is blocked in
 * every other one): fork takes the malloc locks, so a handler that forks
 * in a thread interrupted inside malloc would wait for itself. */
#define _GNU_SOURCE
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_LIBURING
#include <liburing.h>
#endif

extern char **environ;

enum { CREATORS = 2, WINDOW = 8, HANG_SECONDS = 20, MAX_DETAIL = 4 };

static const char *const kinds[] = {
	"open", "socket", "pipe", "pipe2", "accept", "dup", "openpty",
	"fopen", "eventfd", "memfd_create", "timerfd_create",
};
enum { NKINDS = sizeof(kinds) / sizeof(kinds[0]) };

static const char *const spawn_paths[] = {
	"fork-execve", "vfork-execve", "posix_spawn", "posix_spawnp",
	"system", "popen", "signal-fork",
};
enum { NPATHS = sizeof(spawn_paths) / sizeof(spawn_paths[0]),
       SIGNAL_FORK = NPATHS - 1 };

static volatile int stop;
static char self[4096], dir[64];
static int out;			/* the real standard output */
static int dup_source;		/* what the raw creator dups */

static long kind_count[NKINDS];
static double kind_seconds[NKINDS];	/* time spent in each */
static long raw_count, uring_count, signal_opens;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

static long spawns[NPATHS];
static volatile sig_atomic_t signal_spawns, signal_bad;
static volatile time_t last_progress;
static volatile int current_path = -1;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void file_in_dir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

/* ---- the child ------------------------------------------------------- */

static int report(const char *path)
{
	char line[1024], target[256], link[64];
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t len;
	int n = 0, shown = 0;

	if (!d)
		return 1;
	len = (size_t)snprintf(line, sizeof(line), " %s", path);
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		ssize_t got;

		if (e->d_name[0] == '.' || fd < 3 || fd == dirfd(d))
			continue;
		n++;
		if (shown++ >= MAX_DETAIL || len >= sizeof(line) - 1)
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		got = readlink(link, target, sizeof(target) - 1);
		target[got > 0 ? got : 0] = '\0';
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %d=%s",
					fd, target);
	}
	closedir(d);
	printf("leaked %d%s\n", n, line);
	return 0;
}

/* ---- creators -------------------------------------------------------- */

static int listener(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 64))
		return -1;
	return s;
}

static int connect_to(int l)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int c = socket(AF_INET, SOCK_STREAM, 0);

	if (c < 0 || getsockname(l, (struct sockaddr *)&a, &len) ||
	    connect(c, (struct sockaddr *)&a, len)) {
		if (c >= 0)
			close(c);
		return -1;
	}
	return c;
}

/* Make descriptors through creator kind k; returns how many (0 to 2). */
static int create(int k, int l, int fds[2])
{
	char path[128];
	FILE *f;
	int c;

	fds[1] = -1;
	switch (k) {
	case 0:
		file_in_dir(path, sizeof(path), "open");
		fds[0] = open(path, O_RDONLY);
		break;
	case 1: fds[0] = socket(AF_INET, SOCK_STREAM, 0); break;
	case 2: return pipe(fds) ? 0 : 2;
	case 3: return pipe2(fds, O_NONBLOCK) ? 0 : 2;
	case 4:
		/* The connecting end is a descriptor too: both count. */
		c = connect_to(l);
		if (c < 0)
			return 0;
		fds[0] = accept(l, NULL, NULL);
		fds[1] = c;
		return fds[0] >= 0 ? 2 : (close(c), 0);
	case 5: fds[0] = dup(dup_source); break;
	case 6: return openpty(&fds[0], &fds[1], NULL, NULL, NULL) ? 0 : 2;
	case 7:
		file_in_dir(path, sizeof(path), "fopen");
		f = fopen(path, "r");
		fds[0] = f ? dup(fileno(f)) : -1;	/* keep a bare fd */
		if (f)
			fclose(f);
		break;
	case 8: fds[0] = eventfd(0, 0); break;
	case 9: fds[0] = memfd_create("stress", 0); break;
	case 10: fds[0] = timerfd_create(CLOCK_MONOTONIC, 0); break;
	default: return 0;
	}
	return fds[0] >= 0;
}

struct window {
	int fd[WINDOW];
	int next;
};

static void window_init(struct window *w)
{
	for (int i = 0; i < WINDOW; i++)
		w->fd[i] = -1;
	w->next = 0;
}

static void window_put(struct window *w, int fd)
{
	if (fd < 0)
		return;
	if (w->fd[w->next] >= 0)
		close(w->fd[w->next]);
	w->fd[w->next] = fd;
	w->next = (w->next + 1) % WINDOW;
}

static void window_close(struct window *w)
{
	for (int i = 0; i < WINDOW; i++)
		if (w->fd[i] >= 0)
			close(w->fd[i]);
}

static void *creator(void *arg)
{
	long mine[NKINDS] = { 0 };
	double spent[NKINDS] = { 0 };
	int k = (int)(long)arg, l = listener();
	struct window w;

	window_init(&w);
	while (!stop && l >= 0) {
		double t0 = now();
		int fds[2], n = create(k, l, fds);

		spent[k] += now() - t0;
		if (n > 0)
			mine[k]++;
		for (int i = 0; i < n; i++)
			window_put(&w, fds[i]);
		k = (k + 1) % NKINDS;
	}
	window_close(&w);
	if (l >= 0)
		close(l);
	pthread_mutex_lock(&count_lock);
	for (int i = 0; i < NKINDS; i++) {
		kind_count[i] += mine[i];
		kind_seconds[i] += spent[i];
	}
	pthread_mutex_unlock(&count_lock);
	return NULL;
}

/* The unseen creators never wait: on a small machine they would take most
 * of the processor from the spawner and its children.  They run at a
 * lower priority (of this thread only, and of the io_uring workers it
 * starts). */
static void background(void)
{
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
}

/* A system call by the syscall instruction: no libc, no interposer. */
static long raw3(long nr, long a, long b, long c)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = 0;

	__asm__ volatile ("syscall" : "=a"(ret)
			  : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			  : "rcx", "r11", "memory");
	return ret;
#else
	return syscall(nr, a, b, c);
#endif
}

static void *raw_creator(void *arg __attribute__((unused)))
{
	char path[128];
	struct window w;
	long n = 0;

	file_in_dir(path, sizeof(path), "raw-openat");
	background();
	window_init(&w);
	while (!stop) {
		long fd = n % 2 ? raw3(SYS_dup, dup_source, 0, 0)
				: raw3(SYS_openat, AT_FDCWD, (long)path, O_RDONLY);

		if (fd >= 0) {
			window_put(&w, (int)fd);
			n++;
		}
	}
	window_close(&w);
	raw_count = n;
	return NULL;
}

#ifdef HAVE_LIBURING
/* Descriptors made by io_uring: OPENAT, SOCKET and ACCEPT, forced to the
 * kernel's async workers (IOSQE_ASYNC), none with close-on-exec. */
static void *uring_creator(void *arg)
{
	struct io_uring *ring = arg;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct window w;
	char path[128];
	int l = listener(), c = -1;
	long n = 0;

	file_in_dir(path, sizeof(path), "uring-openat");
	background();
	window_init(&w);
	while (!stop && l >= 0) {
		int want = 0;

		if ((sqe = io_uring_get_sqe(ring))) {
			io_uring_prep_openat(sqe, AT_FDCWD, path, O_RDONLY, 0);
			sqe->flags |= IOSQE_ASYNC;
			want++;
		}
		if ((sqe = io_uring_get_sqe(ring))) {
			io_uring_prep_socket(sqe, AF_INET, SOCK_STREAM, 0, 0);
			sqe->flags |= IOSQE_ASYNC;
			want++;
		}
		c = connect_to(l);
		if (c >= 0 && (sqe = io_uring_get_sqe(ring))) {
			io_uring_prep_accept(sqe, l, NULL, NULL, 0);
			sqe->flags |= IOSQE_ASYNC;
			want++;
		}
		if (io_uring_submit(ring) < 0)
			break;
		for (int i = 0; i < want; i++) {
			if (io_uring_wait_cqe(ring, &cqe) < 0)
				break;
			if (cqe->res >= 0) {
				window_put(&w, cqe->res);
				n++;
			}
			io_uring_cqe_seen(ring, cqe);
		}
		if (c >= 0)
			close(c);
	}
	window_close(&w);
	if (l >= 0)
		close(l);
	uring_count = n;
	return NULL;
}
#endif

/* ---- the signal and fork handlers ------------------------------------ */

static void wait_for(pid_t pid, int *bad)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			(*bad)++;
			return;
		}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		(*bad)++;
}

static void on_alarm(int sig __attribute__((unused)))
{
	static int fd = -1;
	static unsigned ticks;
	char *argv[] = { self, "report", (char *)spawn_paths[SIGNAL_FORK], NULL };
	char path[128];
	int saved = errno, bad = 0;
	pid_t pid;

	file_in_dir(path, sizeof(path), "signal-open");
	if (fd >= 0)
		close(fd);
	fd = open(path, O_RDONLY);
	signal_opens++;
	if (++ticks % 16 == 0) {
		pid = fork();
		if (pid == 0) {
			execve(self, argv, environ);
			_exit(127);
		}
		if (pid > 0) {
			wait_for(pid, &bad);
			signal_spawns++;
			signal_bad += bad;
		}
	}
	errno = saved;
}

static void *signal_thread(void *arg __attribute__((unused)))
{
	struct timespec ms = { 0, 1000000 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	while (!stop)
		nanosleep(&ms, NULL);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return NULL;
}

static void atfork_stdio(void)
{
	char path[128];
	FILE *f;

	file_in_dir(path, sizeof(path), "atfork-fopen");
	f = fopen(path, "r");
	if (f)
		fclose(f);
}

static void *watchdog(void *arg __attribute__((unused)))
{
	while (!stop) {
		sleep(1);
		if (!stop && time(NULL) - last_progress > HANG_SECONDS) {
			int p = current_path;

			dprintf(out, "hang: no spawn finished for %d s (in %s)\n",
				HANG_SECONDS, p >= 0 ? spawn_paths[p] : "?");
			_exit(3);
		}
	}
	return NULL;
}

/* ---- spawning -------------------------------------------------------- */

static int leaked_in(const char *line, int *path)
{
	char name[64];
	int n;

	if (sscanf(line, "leaked %d %63s", &n, name) != 2)
		return -1;
	*path = -1;
	for (int p = 0; p < NPATHS; p++)
		if (!strcmp(name, spawn_paths[p]))
			*path = p;
	return n;
}

/* Start one child through path p, wait for it; count what went wrong. */
static void spawn(int p, int *bad, long leaks[], long reports[], FILE *detail)
{
	char *argv[] = { self, "report", (char *)spawn_paths[p], NULL };
	char cmd[4300], line[1200];
	pid_t pid = -1;
	FILE *f;
	int st, q, n;

	snprintf(cmd, sizeof(cmd), "exec '%s' report %s", self, spawn_paths[p]);
	current_path = p;
	switch (p) {
	case 0:
		pid = fork();
		if (pid == 0) {
			execve(self, argv, environ);
			_exit(127);
		}
		break;
	case 1:
		pid = vfork();
		if (pid == 0) {
			execve(self, argv, environ);
			_exit(127);
		}
		break;
	case 2:
		if (posix_spawn(&pid, self, NULL, NULL, argv, environ))
			pid = -1;
		break;
	case 3:
		if (posix_spawnp(&pid, self, NULL, NULL, argv, environ))
			pid = -1;
		break;
	case 4:
		st = system(cmd);
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			(*bad)++;
		return;
	case 5:
		f = popen(cmd, "r");
		if (!f) {
			(*bad)++;
			return;
		}
		while (fgets(line, sizeof(line), f))
			if ((n = leaked_in(line, &q)) >= 0 && q == p) {
				leaks[p] += n;
				reports[p]++;
				if (n > 0)
					fputs(line, detail);
			}
		st = pclose(f);
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			(*bad)++;
		return;
	}
	if (pid > 0)
		wait_for(pid, bad);
	else
		(*bad)++;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 4, start, elapsed;
	char tmpl[] = "/tmp/noleak-stress-out-XXXXXX", line[1200], path[128];
	long leaks[NPATHS] = { 0 }, reports[NPATHS] = { 0 }, creations = 0;
	long total_spawns = 0, total_reports = 0, total_leaks = 0, shown = 0;
	pthread_t t[CREATORS], raw_t, sig_t, dog_t;
	struct itimerval every = { { 0, 3000 }, { 0, 3000 } }, never = { 0 };
	struct sigaction sa = { .sa_handler = on_alarm };
	int log, bad = 0, uring = 0;
	sigset_t alrm;
	ssize_t len;
	FILE *f, *detail;
#ifdef HAVE_LIBURING
	struct io_uring ring;
	pthread_t uring_t;
#endif

	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0)
		return 2;
	self[len] = '\0';
	if (argc == 3 && !strcmp(argv[1], "report"))
		return report(argv[2]);

	/* What this process inherited is not the test's business. */
	if (syscall(SYS_close_range, 3, ~0U, 0) != 0)
		for (int fd = 3; fd < 4096; fd++)
			close(fd);

	snprintf(dir, sizeof(dir), "/tmp/noleak-stress-XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	for (const char *const *name = (const char *const[]){ "open", "fopen",
		"raw-openat", "raw-dup", "uring-openat", "signal-open",
		"atfork-fopen", NULL }; *name; name++) {
		int fd;

		file_in_dir(path, sizeof(path), *name);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return 2;
		close(fd);
	}
	file_in_dir(path, sizeof(path), "raw-dup");
	dup_source = open(path, O_RDONLY | O_CLOEXEC);

	/* Standard output becomes an append-only file every child writes to;
	 * the details of leaks go to another one. */
	out = fcntl(1, F_DUPFD_CLOEXEC, 3);
	log = mkostemp(tmpl, O_CLOEXEC | O_APPEND);
	if (out < 0 || log < 0 || dup_source < 0 || dup2(log, 1) != 1)
		return 2;
	unlink(tmpl);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Close-on-exec by hand, or it would leak without the shim. */
	detail = fdopen(open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600), "w+");
	if (!detail)
		return 2;

	pthread_atfork(atfork_stdio, atfork_stdio, atfork_stdio);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);	/* inherited by threads */
	sigaction(SIGALRM, &sa, NULL);

	last_progress = time(NULL);
	pthread_create(&dog_t, NULL, watchdog, NULL);
	pthread_create(&sig_t, NULL, signal_thread, NULL);
	for (long i = 0; i < CREATORS; i++)
		pthread_create(&t[i], NULL, creator, (void *)(i * NKINDS / CREATORS));
	pthread_create(&raw_t, NULL, raw_creator, NULL);
#ifdef HAVE_LIBURING
	uring = io_uring_queue_init(64, &ring, 0) == 0;
	if (uring)
		pthread_create(&uring_t, NULL, uring_creator, &ring);
#endif
	setitimer(ITIMER_REAL, &every, NULL);

	start = now();
	do {
		int p = (int)(total_spawns % (NPATHS - 1));

		spawn(p, &bad, leaks, reports, detail);
		spawns[p]++;
		total_spawns++;
		last_progress = time(NULL);
	} while (now() - start < seconds);
	elapsed = now() - start;

	setitimer(ITIMER_REAL, &never, NULL);
	stop = 1;
	for (int i = 0; i < CREATORS; i++)
		pthread_join(t[i], NULL);
	pthread_join(raw_t, NULL);
#ifdef HAVE_LIBURING
	if (uring) {
		pthread_join(uring_t, NULL);
		io_uring_queue_exit(&ring);
	}
#endif
	pthread_join(sig_t, NULL);
	pthread_join(dog_t, NULL);
	spawns[SIGNAL_FORK] = signal_spawns;
	total_spawns += signal_spawns;
	bad += signal_bad;

	f = fdopen(log, "r");
	fseek(f, 0, SEEK_SET);
	while (fgets(line, sizeof(line), f)) {
		int p, n = leaked_in(line, &p);

		if (n < 0 || p < 0)
			continue;
		leaks[p] += n;
		reports[p]++;
		if (n > 0)
			fputs(line, detail);
	}

	for (int p = 0; p < NPATHS; p++) {
		dprintf(out, "path %s spawns %ld reports %ld leaked %ld\n",
			spawn_paths[p], spawns[p], reports[p], leaks[p]);
		total_reports += reports[p];
		total_leaks += leaks[p];
	}
	for (int k = 0; k < NKINDS; k++) {
		dprintf(out, "creator %s %ld %.0f/s %.1f us/call\n", kinds[k],
			kind_count[k], kind_count[k] / elapsed,
			kind_count[k] ? kind_seconds[k] * 1e6 / kind_count[k] : 0.0);
		creations += kind_count[k];
	}
	dprintf(out, "creator raw-syscall %ld %.0f/s\n", raw_count, raw_count / elapsed);
	if (uring)
		dprintf(out, "creator io_uring %ld %.0f/s\n", uring_count,
			uring_count / elapsed);
	else
		dprintf(out, "creator io_uring unavailable\n");
	dprintf(out, "signal opens %ld forks %d\n", signal_opens, (int)signal_spawns);
	fseek(detail, 0, SEEK_SET);
	while (fgets(line, sizeof(line), detail) && shown++ < 10)
		dprintf(out, "leak: %s", line);
	dprintf(out, "spawns %ld reports %ld leaked %ld bad %d creations %ld "
		"seconds %.1f rate %.0f\n", total_spawns, total_reports,
		total_leaks, bad, creations, elapsed, creations / elapsed);

	for (const char *const *name = (const char *const[]){ "open", "fopen",
		"raw-openat", "raw-dup", "uring-openat", "signal-open",
		"atfork-fopen", NULL }; *name; name++) {
		file_in_dir(path, sizeof(path), *name);
		unlink(path);
	}
	rmdir(dir);
	return 0;
}
