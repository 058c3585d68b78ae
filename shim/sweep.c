/* SPDX-License-Identifier: MIT */
/* sweep.c: marking stray descriptors close-on-exec before a new program
 * starts.
 *
 * Everything in this file is in the async-signal-safe zone: it runs between
 * fork or vfork and exec (sharing the parent's memory in the vfork case), in
 * signal handlers that exec, and in children of multi-threaded parents.  So:
 * raw system calls only, buffers on the stack, no malloc, stdio, locks or
 * dlsym, and no writes to shared state beyond one "warned once" flag.
 *
 * The sweep marks, it never closes: if the exec fails, every descriptor is
 * still there and usable (the error pipes of CPython and the JDK rely on
 * that, and so does execvp walking PATH).  Three ways, best first:
 *  1. close_range(lo, hi, CLOSE_RANGE_CLOEXEC) on the gaps between the
 *     descriptors to keep: a constant number of calls, whatever
 *     RLIMIT_NOFILE is (Linux >= 5.11);
 *  2. a getdents64 walk of /proc/self/fd into a stack buffer (what glibc's
 *     closefrom fallback and CPython do; opendir would allocate);
 *  3. a loop over every number below the soft RLIMIT_NOFILE, capped.
 * glibc's closefrom() is never used: it closes, and it aborts the process
 * when it cannot (io/closefrom.c). */
#include "noleak.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* The bounded loop never goes past this many numbers; without /proc,
 * resource keep entries and reports look at the first REPORT_SCAN_CAP. */
enum { LOOP_CAP = 1 << 20, REPORT_SCAN_CAP = 4096 };

int noleak_close_range_fails;
static int warned_cap;

int noleak_secure;

/* Set once a seccomp filter is in force (wrap-sandbox.c). */
int noleak_sandboxed NOLEAK_LOAD_DATA;

/* What must not be marked, read where it lies: the keep-list's ranges, the
 * descriptors the new program is told about, and the recorded intent.
 * Nothing is copied, so the sweep's stack does not grow with any of them. */
struct keepers {
	const struct noleak_keep *keep;
	const struct noleak_fdset *named;
};

static int keepers_have(const struct keepers *k, int fd)
{
	for (size_t i = 0; k->keep && i < k->keep->n; i++)
		if (fd >= k->keep->range[i].lo && fd <= k->keep->range[i].hi)
			return 1;
	for (size_t i = 0; k->named && i < k->named->n; i++)
		if (fd == k->named->fd[i])
			return 1;
	return noleak_intent_has(fd);
}

/* The lowest kept number >= from (>= 3), with *hi the end of its run as
 * one source sees it; -1 when nothing at or above from is kept.  O(K). */
static int keepers_next(const struct keepers *k, int from, int *hi)
{
	int best, best_hi;

	if (from < 3)
		from = 3;
	best = noleak_intent_next(from, &best_hi);
	if (best < 0)
		best = best_hi = INT_MAX;
	for (size_t i = 0; k->keep && i < k->keep->n; i++) {
		int lo = k->keep->range[i].lo < from ? from : k->keep->range[i].lo;

		if (k->keep->range[i].hi < from)
			continue;
		if (lo < best || (lo == best && k->keep->range[i].hi > best_hi)) {
			best = lo;
			best_hi = k->keep->range[i].hi;
		}
	}
	for (size_t i = 0; k->named && i < k->named->n; i++) {
		int fd = k->named->fd[i];

		if (fd >= from && fd < best) {
			best = fd;
			best_hi = fd;
		}
	}
	*hi = best_hi;
	return best == INT_MAX && best_hi == INT_MAX ? -1 : best;
}

static void mark_one(int fd)
{
	int flags = noleak_raw_getfd(fd);

	if (flags >= 0 && !(flags & FD_CLOEXEC))
		noleak_raw_setfd(fd, flags | FD_CLOEXEC);
}

static int sweep_close_range(const struct keepers *k)
{
	long lo = 3;

	while (lo <= INT_MAX) {
		int hi, next = keepers_next(k, (int)lo, &hi);

		if (next < 0)
			return noleak_raw(SYS_close_range, lo, ~0U,
					  CLOSE_RANGE_CLOEXEC, 0, 0) < 0 ? -1 : 0;
		if (next > lo && noleak_raw(SYS_close_range, lo, next - 1,
					    CLOSE_RANGE_CLOEXEC, 0, 0) < 0)
			return -1;
		lo = (long)hi + 1;
	}
	return 0;
}

static void walk_mark(int fd, void *ctx)
{
	if (fd >= 3 && !keepers_have(ctx, fd))
		mark_one(fd);
}

static void sweep_loop(const struct keepers *k)
{
	struct rlimit rl;
	long bound = LOOP_CAP;

	if (noleak_raw(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&rl, 0) == 0 &&
	    rl.rlim_cur < (rlim_t)LOOP_CAP)
		bound = (long)rl.rlim_cur;
	else if (!__atomic_exchange_n(&warned_cap, 1, __ATOMIC_RELAXED)) {
		struct noleak_line l;

		noleak_line_begin(&l);
		noleak_line_str(&l, "neither close_range nor /proc/self/fd is "
				"available; descriptors above ");
		noleak_line_int(&l, LOOP_CAP);
		noleak_line_str(&l, " are not swept");
		noleak_line_emit(&l);
	}
	for (long fd = 3; fd < bound; fd++)
		if (!keepers_have(k, (int)fd))
			mark_one((int)fd);
}

/* Whether the descriptor table holds the number fd, which poll found
 * closed: select(2) fails with EBADF for a closed number inside the
 * table, and looks at nothing outside it (fs/select.c, core_sys_select,
 * cuts the sets at the table's size).  Numbers past what its set holds
 * are taken as held. */
enum { PROBE_BITS = 8192, PROBE_SMALL_BITS = 512 };

/* select(2) on one bit of a set of words words. */
static int probe(unsigned long *set, size_t words, int fd)
{
	struct timeval zero = { 0, 0 };
	size_t w = (size_t)fd / (8 * sizeof(unsigned long));

	for (size_t i = 0; i < words && i <= w; i++)
		set[i] = 0;
	set[w] = 1UL << ((unsigned)fd % (8 * sizeof(unsigned long)));
	return noleak_raw(SYS_select, fd + 1, (long)set, 0, 0, (long)&zero) != 0;
}

/* The kilobyte set apart, so that the census at load, whose probe is of
 * a small number, touches no page of stack more than it must. */
__attribute__((noinline)) static int table_has_far(int fd)
{
	unsigned long set[PROBE_BITS / (8 * sizeof(unsigned long))];

	return probe(set, sizeof(set) / sizeof(set[0]), fd);
}

NOLEAK_AT_LOAD static int table_has(int fd)
{
	unsigned long set[PROBE_SMALL_BITS / (8 * sizeof(unsigned long))];

	if (fd >= PROBE_BITS)
		return 1;
	if (fd >= PROBE_SMALL_BITS)
		return table_has_far(fd);
	return probe(set, sizeof(set) / sizeof(set[0]), fd);
}

NOLEAK_AT_LOAD long noleak_fds_polled(void (*fn)(int fd, void *ctx), void *ctx,
		       struct pollfd *p, int chunk, long max)
{
	for (long base = 0; base < max; base += chunk) {
		for (int i = 0; i <= chunk; i++) {
			p[i].fd = (int)(base + i);
			p[i].events = 0;
			p[i].revents = 0;
		}
		if (noleak_raw(SYS_poll, (long)p, chunk + 1, 0, 0, 0) < 0)
			return -1;
		for (int i = 0; i < chunk; i++)
			if (base + i >= 3 && !(p[i].revents & POLLNVAL))
				fn((int)(base + i), ctx);
		if ((p[chunk].revents & POLLNVAL) && !table_has((int)(base + chunk)))
			return base + chunk;
	}
	return max;
}

int noleak_fds_from_proc(void (*fn)(int fd, void *ctx), void *ctx)
{
	/* A dozen entries a call, and little stack in a vfork child (the
	 * whole sweep stays under a kilobyte: tests/check_policy.c). */
	char buf[320] __attribute__((aligned(8)));
	long dir = noleak_raw(SYS_openat, AT_FDCWD, (long)"/proc/self/fd",
			      O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0);

	if (dir < 0)
		return -1;
	for (;;) {
		long n = noleak_raw(SYS_getdents64, dir, (long)buf, sizeof(buf),
				    0, 0);

		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			/* struct linux_dirent64: ino, off, reclen, type, name */
			unsigned short reclen;
			const char *name = buf + off + 19;
			long fd = 0;

			__builtin_memcpy(&reclen, buf + off + 16, sizeof(reclen));
			off += reclen;
			if (*name < '0' || *name > '9')
				continue;
			for (; *name >= '0' && *name <= '9'; name++)
				fd = fd * 10 + (*name - '0');
			if (fd != dir && fd <= INT_MAX)
				fn((int)fd, ctx);
		}
	}
	noleak_raw(SYS_close, dir, 0, 0, 0, 0);
	return 0;
}

int noleak_sig_ignored(int sig)
{
	struct kernel_sigaction old;

	return noleak_raw(SYS_rt_sigaction, sig, 0, (long)&old, 8, 0) == 0 &&
	       old.handler == (void *)SIG_IGN;
}

unsigned long noleak_sig_touched;
unsigned long noleak_sig_ign_at_start;

/* What the process that will call exec set up for itself since it came
 * out of a fork: the signals it changed, and the mask it had at the fork.
 * Keyed by pid, so that a child made any other way (vfork, clone) starts
 * from nothing: its first change finds another pid here and clears it. */
static struct {
	long pid;
	long parent;		/* who forked it; 0 when not known */
	unsigned long touched;
	int mask_known;
	unsigned long mask_at_fork;
} own;

static void own_note(unsigned long bit)
{
	long me = noleak_raw(SYS_getpid, 0, 0, 0, 0, 0);

	if (__atomic_load_n(&own.pid, __ATOMIC_ACQUIRE) != me) {
		own.touched = 0;
		own.mask_known = 0;
		own.parent = 0;
		__atomic_store_n(&own.pid, me, __ATOMIC_RELEASE);
	}
	__atomic_fetch_or(&own.touched, bit, __ATOMIC_RELEASE);
}

void noleak_forked(long parent)
{
	noleak_table_own(noleak_raw(SYS_getpid, 0, 0, 0, 0, 0));
	own.parent = parent;
	own.touched = 0;
	own.mask_known = noleak_raw(SYS_rt_sigprocmask, SIG_BLOCK, 0,
				    (long)&own.mask_at_fork, 8, 0) == 0;
	__atomic_store_n(&own.pid, noleak_raw(SYS_getpid, 0, 0, 0, 0, 0),
			 __ATOMIC_RELEASE);
}

void noleak_sig_touch(int sig)
{
	unsigned long bit;

	/* Two system calls of its own (getpid, rt_sigaction): none in a
	 * sandbox, where nothing is restored at exec either. */
	if (sig < 1 || sig > 64 || noleak_sandboxed)
		return;
	bit = 1UL << (sig - 1);
	own_note(bit);
	if (__atomic_load_n(&noleak_sig_touched, __ATOMIC_ACQUIRE) & bit)
		return;
	if (noleak_sig_ignored(sig))
		__atomic_fetch_or(&noleak_sig_ign_at_start, bit, __ATOMIC_RELEASE);
	__atomic_fetch_or(&noleak_sig_touched, bit, __ATOMIC_RELEASE);
}

/* The loop counts to 64 itself: a bound like "touched >> (sig - 1)" would
 * shift by 64 once signal 64 is touched (git resets every signal before
 * an exec), which x86 takes as a shift by 0, so it never ended. */
unsigned long noleak_sig_ignored_since_start(void)
{
	unsigned long touched = __atomic_load_n(&noleak_sig_touched, __ATOMIC_ACQUIRE);
	unsigned long set = 0;

	touched &= ~__atomic_load_n(&noleak_sig_ign_at_start, __ATOMIC_ACQUIRE);
	touched &= ~((1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1)));
	for (int sig = 1; sig <= 64 && touched; sig++, touched >>= 1)
		if ((touched & 1) && noleak_sig_ignored(sig))
			set |= 1UL << (sig - 1);
	return set;
}

long noleak_forked_from(void)
{
	long pid = __atomic_load_n(&own.pid, __ATOMIC_ACQUIRE);

	/* No fork through the library yet: no system call either. */
	if (!pid)
		return 0;
	return pid == noleak_raw(SYS_getpid, 0, 0, 0, 0, 0) ? own.parent : 0;
}

void noleak_sig_inherited(unsigned long start_mask, unsigned long *reset,
			  unsigned long *mask)
{
	long me = noleak_raw(SYS_getpid, 0, 0, 0, 0, 0);
	int mine = __atomic_load_n(&own.pid, __ATOMIC_ACQUIRE) == me;
	unsigned long now = 0;

	*reset = noleak_sig_ignored_since_start();
	if (mine)
		*reset &= ~__atomic_load_n(&own.touched, __ATOMIC_ACQUIRE);
	*mask = start_mask;
	if (mine && own.mask_known &&
	    noleak_raw(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&now, 8, 0) == 0)
		*mask = (now & ~(own.mask_at_fork & ~start_mask)) |
			(start_mask & ~own.mask_at_fork);
}

void noleak_keep_pipes(struct noleak_fdset *set, size_t from)
{
	struct stat st;
	size_t out = from;

	for (size_t i = from; i < set->n; i++)
		if (noleak_raw(SYS_fstat, set->fd[i], (long)&st, 0, 0, 0) == 0 &&
		    S_ISFIFO(st.st_mode))
			set->fd[out++] = set->fd[i];
	set->n = out;
}

void noleak_fds_any_way(void (*fn)(int fd, void *ctx), void *ctx, long cap)
{
	struct rlimit rl;

	if (noleak_fds_from_proc(fn, ctx) == 0)
		return;
	if (noleak_raw(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&rl, 0) == 0 &&
	    rl.rlim_cur < (rlim_t)cap)
		cap = (long)rl.rlim_cur;
	for (long fd = 3; fd < cap; fd++)
		fn((int)fd, ctx);
}

/* Write prefix and the decimal fd into path. */
static void put_fd_path(char *path, const char *prefix, int fd)
{
	char digits[12];
	size_t len = 0;
	int n = 0;

	while (*prefix)
		path[len++] = *prefix++;
	do {
		digits[n++] = (char)('0' + fd % 10);
		fd /= 10;
	} while (fd);
	while (n)
		path[len++] = digits[--n];
	path[len] = '\0';
}

/* The target of /proc/self/fd/fd into link (of size len), NUL-terminated;
 * its length, or 0 when there is none (no /proc, a closed number). */
static long fd_link(int fd, char *link, size_t len)
{
	char path[40];
	long n;

	put_fd_path(path, "/proc/self/fd/", fd);
	n = noleak_raw(SYS_readlinkat, AT_FDCWD, (long)path, (long)link,
		       (long)len - 1, 0);
	if (n < 0)
		n = 0;
	link[n] = '\0';
	return n;
}

/* Whether /proc/self/fdinfo/fd has a "lock:" line. */
static int holds_lock(int fd)
{
	char path[40], buf[1024];
	int info;
	long got;

	put_fd_path(path, "/proc/self/fdinfo/", fd);
	info = (int)noleak_raw(SYS_openat, AT_FDCWD, (long)path,
			       O_RDONLY | O_CLOEXEC, 0, 0);
	if (info < 0)
		return 0;
	got = noleak_raw(SYS_read, info, (long)buf, sizeof(buf) - 1, 0, 0);
	noleak_raw(SYS_close, info, 0, 0, 0, 0);
	if (got <= 0)
		return 0;
	buf[got] = '\0';
	for (long i = 0; i + 5 <= got; i++)
		if ((i == 0 || buf[i - 1] == '\n') && !__builtin_memcmp(buf + i, "lock:", 5))
			return 1;
	return 0;
}

static void add_if_locked(int fd, void *ctx)
{
	struct noleak_fdset *set = ctx;

	if (fd >= 3 && set->n < NOLEAK_FDSET_MAX && holds_lock(fd))
		set->fd[set->n++] = fd;
}

void noleak_locked_fds(struct noleak_fdset *set)
{
	noleak_fds_from_proc(add_if_locked, set);
}

/* Take off close-on-exec the shim added on what keep and named name by
 * number.  Never under secure execution: there the keep-list, the command
 * line and the hand-over variables all come from whoever started the
 * program. */
static void unmark_named(const struct noleak_keep *keep,
			 const struct noleak_fdset *named)
{
	if (noleak_secure)
		return;
	for (size_t i = 0; keep && i < keep->n; i++)
		noleak_added_clear_range(keep->range[i].lo, keep->range[i].hi);
	for (size_t i = 0; named && i < named->n; i++)
		noleak_added_clear_range(named->fd[i], named->fd[i]);
}

enum noleak_sweep_how noleak_sweep(const struct noleak_keep *keep,
				   const struct noleak_fdset *named)
{
	struct keepers k = { keep, named };

	unmark_named(keep, named);
	/* close_range(CLOSE_RANGE_CLOEXEC) fails with ENOSYS before Linux 5.9,
	 * EINVAL before 5.11, and EPERM under seccomp profiles older than the
	 * call, the first time, before it marks anything: remembered, so the
	 * next sweep goes straight to /proc. */
	if (__atomic_load_n(&noleak_close_range_fails, __ATOMIC_RELAXED) == 0) {
		if (sweep_close_range(&k) == 0)
			return NOLEAK_SWEEP_CLOSE_RANGE;
		__atomic_store_n(&noleak_close_range_fails, 1, __ATOMIC_RELAXED);
	}
	if (noleak_fds_from_proc(walk_mark, &k) == 0)
		return NOLEAK_SWEEP_PROC;
	sweep_loop(&k);
	return NOLEAK_SWEEP_LOOP;
}

/* ---- keep-list entries that name a resource ------------------------ */

/* A SOL_SOCKET option of fd, or -1 (not a socket). */
static int sockopt(int fd, int opt)
{
	int v = -1;
	unsigned len = sizeof(v);

	if (noleak_raw(SYS_getsockopt, fd, SOL_SOCKET, opt, (long)&v, (long)&len) < 0)
		return -1;
	return v;
}

/* Any socket address the kernel may give back. */
union sockaddr_any {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_un un;
};

/* getsockname into *a; the length, or -1. */
static long local_address(int fd, union sockaddr_any *a)
{
	unsigned len = sizeof(*a);

	__builtin_memset(a, 0, sizeof(*a));
	if (noleak_raw(SYS_getsockname, fd, (long)a, (long)&len, 0, 0) < 0)
		return -1;
	return len;
}

/* Whether socket fd is what r names. */
static int socket_matches(int fd, const struct noleak_resource *r)
{
	union sockaddr_any a;
	int type;

	if (local_address(fd, &a) < 0)
		return 0;
	if (r->kind == NOLEAK_RES_UNIX)
		return a.sa.sa_family == AF_UNIX &&
		       !__builtin_strncmp(a.un.sun_path, r->text, sizeof(a.un.sun_path));
	if (a.sa.sa_family != AF_INET && a.sa.sa_family != AF_INET6)
		return 0;
	type = sockopt(fd, SO_TYPE);
	if (type != (r->kind == NOLEAK_RES_TCP ? SOCK_STREAM : SOCK_DGRAM) ||
	    __builtin_bswap16(a.in.sin_port) != r->port)
		return 0;
	if (!r->family)
		return 1;
	if (r->family != a.sa.sa_family)
		return 0;
	return r->family == AF_INET
	       ? !__builtin_memcmp(&a.in.sin_addr, r->addr, 4)
	       : !__builtin_memcmp(&a.in6.sin6_addr, r->addr, 16);
}

struct resources {
	const struct noleak_keep *keep;
	struct noleak_fdset *set;
};

static void add_if_named(int fd, void *ctx)
{
	struct resources *rs = ctx;
	char link[256];
	long n = -1;
	int sock = -1;

	if (fd < 3 || rs->set->n >= NOLEAK_FDSET_MAX)
		return;
	for (size_t i = 0; i < rs->keep->nres; i++) {
		const struct noleak_resource *r = &rs->keep->res[i];
		int hit;

		if (r->kind == NOLEAK_RES_PATH) {
			if (n < 0)
				n = fd_link(fd, link, sizeof(link));
			hit = n > 0 && link[0] == '/' && noleak_glob_match(r->text, link);
		} else {
			if (sock < 0)
				sock = sockopt(fd, SO_TYPE) >= 0;
			hit = sock && socket_matches(fd, r);
		}
		if (hit) {
			rs->set->fd[rs->set->n++] = fd;
			return;
		}
	}
}

void noleak_keep_resources(const struct noleak_keep *keep, struct noleak_fdset *set)
{
	struct resources rs = { keep, set };

	if (!keep->nres)
		return;
	noleak_fds_any_way(add_if_named, &rs, REPORT_SCAN_CAP);
}

/* ---- audit: what would be marked, described ------------------------- */

static void put_hex16(struct noleak_line *l, unsigned v)
{
	static const char hex[] = "0123456789abcdef";
	char buf[4];
	int n = 0, started = 0;

	for (int shift = 12; shift >= 0; shift -= 4) {
		unsigned d = (v >> shift) & 15;

		if (d || started || shift == 0) {
			buf[n++] = hex[d];
			started = 1;
		}
	}
	noleak_line_mem(l, buf, (size_t)n);
}

static void describe_socket(struct noleak_line *l, int fd)
{
	union sockaddr_any a;
	long len = local_address(fd, &a);
	int type = sockopt(fd, SO_TYPE), listening = sockopt(fd, SO_ACCEPTCONN) == 1;

	if (len < 0) {
		noleak_line_str(l, "socket");
		return;
	}
	if (a.sa.sa_family == AF_INET || a.sa.sa_family == AF_INET6) {
		noleak_line_str(l, type == SOCK_STREAM ? "tcp " :
				   type == SOCK_DGRAM ? "udp " : "inet ");
		if (a.sa.sa_family == AF_INET) {
			const unsigned char *b = (const unsigned char *)&a.in.sin_addr;

			for (int i = 0; i < 4; i++) {
				if (i)
					noleak_line_str(l, ".");
				noleak_line_int(l, b[i]);
			}
		} else {
			const unsigned char *b = (const unsigned char *)&a.in6.sin6_addr;

			noleak_line_str(l, "[");
			for (int i = 0; i < 16; i += 2) {
				if (i)
					noleak_line_str(l, ":");
				put_hex16(l, (unsigned)(b[i] << 8 | b[i + 1]));
			}
			noleak_line_str(l, "]");
		}
		noleak_line_str(l, ":");
		noleak_line_int(l, (long)__builtin_bswap16(a.in.sin_port));
	} else if (a.sa.sa_family == AF_UNIX) {
		size_t off = __builtin_offsetof(struct sockaddr_un, sun_path);
		size_t n = (size_t)len > off ? (size_t)len - off : 0;

		noleak_line_str(l, "unix ");
		if (n == 0 || (n == 1 && !a.un.sun_path[0])) {
			noleak_line_str(l, "(unnamed)");
		} else if (!a.un.sun_path[0]) {
			noleak_line_str(l, "@");	/* abstract */
			noleak_line_mem(l, a.un.sun_path + 1, n - 1);
		} else {
			noleak_line_mem(l, a.un.sun_path, __builtin_strnlen(a.un.sun_path, n));
		}
	} else {
		noleak_line_str(l, "socket (family ");
		noleak_line_int(l, a.sa.sa_family);
		noleak_line_str(l, ")");
	}
	if (listening)
		noleak_line_str(l, " LISTEN");
}

void noleak_describe_fd(struct noleak_line *l, int fd)
{
	char link[256];

	if (!fd_link(fd, link, sizeof(link))) {	/* no /proc: a socket can still say what it is */
		if (sockopt(fd, SO_TYPE) >= 0)
			describe_socket(l, fd);
		else
			noleak_line_str(l, "descriptor");
		return;
	}
	if (!__builtin_strncmp(link, "socket:", 7))
		describe_socket(l, fd);
	else if (!__builtin_strncmp(link, "pipe:", 5))
		noleak_line_str(l, "pipe");
	else if (!__builtin_strncmp(link, "anon_inode:", 11)) {
		const char *name = link + 11 + (link[11] == '[');
		size_t len = 0;

		while (name[len] && name[len] != ']')
			len++;
		noleak_line_mem(l, name, len);
	} else {
		noleak_line_str(l, link);
	}
}

/* ---- where a descriptor was made ----------------------------------- */

static void put_hex(struct noleak_line *l, unsigned long v)
{
	static const char hex[] = "0123456789abcdef";
	char buf[18];
	int n = sizeof(buf);

	do {
		buf[--n] = hex[v & 15];
		v >>= 4;
	} while (v);
	buf[--n] = 'x';
	buf[--n] = '0';
	noleak_line_mem(l, buf + n, sizeof(buf) - (size_t)n);
}

/* Parse hex digits at *p, advancing it. */
static unsigned long get_hex(const char **p)
{
	unsigned long v = 0;

	for (;; (*p)++) {
		char c = **p;

		if (c >= '0' && c <= '9')
			v = v << 4 | (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (unsigned long)(c - 'a' + 10);
		else
			return v;
	}
}

/* If the /proc/self/maps line maps addr from a file, append "file+0xOFF". */
static int maps_line(struct noleak_line *l, const char *line, unsigned long addr)
{
	const char *p = line;
	unsigned long start = get_hex(&p), end, off;

	if (*p++ != '-')
		return 0;
	end = get_hex(&p);
	if (addr < start || addr >= end)
		return 0;
	while (*p && *p != ' ')		/* to the permissions */
		p++;
	while (*p == ' ')
		p++;
	while (*p && *p != ' ')		/* past them */
		p++;
	while (*p == ' ')
		p++;
	off = get_hex(&p);
	for (int field = 0; field < 2; field++) {	/* device, inode */
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
	}
	while (*p == ' ')
		p++;
	if (*p != '/')
		return 0;
	noleak_line_str(l, p);
	noleak_line_str(l, "+");
	put_hex(l, addr - start + off);
	return 1;
}

/* Append where addr is: "/usr/lib/libfoo.so+0x1234", from /proc/self/maps
 * read with raw calls; "0xADDR" when no file maps it. */
static void put_module(struct noleak_line *l, unsigned long addr)
{
	char buf[1024], line[512];
	size_t used = 0;
	long fd = noleak_raw(SYS_openat, AT_FDCWD, (long)"/proc/self/maps",
			     O_RDONLY | O_CLOEXEC, 0, 0);
	int found = 0;

	while (fd >= 0 && !found) {
		long n = noleak_raw(SYS_read, fd, (long)buf, sizeof(buf), 0, 0);

		if (n == -EINTR)
			continue;
		if (n <= 0)
			break;
		for (long i = 0; i < n && !found; i++) {
			if (buf[i] != '\n') {
				if (used < sizeof(line) - 1)
					line[used++] = buf[i];
				continue;
			}
			line[used] = '\0';
			used = 0;
			found = maps_line(l, line, addr);
		}
	}
	if (fd >= 0)
		noleak_raw(SYS_close, fd, 0, 0, 0, 0);
	if (!found)
		put_hex(l, addr);
}

/* Counters for the summary at exit, in memory that fork shares (a page
 * mapped at start when reports are on), so children's execs count too. */
struct noleak_counts *noleak_counts NOLEAK_LOAD_DATA;	/* read at exit */

/* Copy n bytes of s into dst (size bytes), cut, NUL-terminated. */
static void row_copy(char *dst, size_t size, const char *s, size_t n)
{
	if (n > size - 1)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Count one more of what (n bytes) into program, in the first row that
 * holds the same pair or the first free one; in unlisted when none is. */
static void summary_add(const char *what, size_t n, const char *program)
{
	char w[NOLEAK_SUMMARY_WHAT], p[NOLEAK_SUMMARY_INTO];
	struct noleak_counts *c = noleak_counts;

	row_copy(w, sizeof(w), what, n);
	row_copy(p, sizeof(p), program, strlen(program));
	for (int i = 0; i < NOLEAK_SUMMARY_ROWS; i++) {
		struct noleak_summary_row *r = &c->rows[i];
		int state = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE);

		if (state == 0 && __atomic_compare_exchange_n(&r->state, &state, 1, 0,
							      __ATOMIC_ACQUIRE,
							      __ATOMIC_RELAXED)) {
			memcpy(r->what, w, sizeof(w));
			memcpy(r->into, p, sizeof(p));
			r->times = 1;
			__atomic_store_n(&r->state, 2, __ATOMIC_RELEASE);
			return;
		}
		if (state == 2 && !strcmp(r->what, w) && !strcmp(r->into, p)) {
			__atomic_fetch_add(&r->times, 1, __ATOMIC_RELAXED);
			return;
		}
	}
	__atomic_fetch_add(&c->unlisted, 1, __ATOMIC_RELAXED);
}

void noleak_summary_rows(int audit)
{
	struct noleak_counts *c = noleak_counts;
	struct noleak_line l;

	for (int i = 0; c && i < NOLEAK_SUMMARY_ROWS; i++) {
		const struct noleak_summary_row *r = &c->rows[i];
		unsigned long times = 0;
		int seen = 0;

		if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != 2)
			continue;
		/* Two processes may have filled two rows alike: the first
		 * says both. */
		for (int j = 0; j < NOLEAK_SUMMARY_ROWS && !seen; j++) {
			const struct noleak_summary_row *o = &c->rows[j];

			if (__atomic_load_n(&o->state, __ATOMIC_ACQUIRE) != 2 ||
			    strcmp(o->what, r->what) || strcmp(o->into, r->into))
				continue;
			if (j < i)
				seen = 1;
			else
				times += o->times;
		}
		if (seen)
			continue;
		noleak_line_begin(&l);
		noleak_line_str(&l, "summary: (");
		noleak_line_str(&l, r->what);
		noleak_line_str(&l, audit ? ") would have leaked into " : ") kept from ");
		noleak_line_str(&l, r->into);
		noleak_line_str(&l, ", ");
		noleak_line_int(&l, (long)times);
		noleak_line_str(&l, times == 1 ? " time" : " times");
		noleak_line_emit(&l);
	}
	if (c && c->unlisted) {
		noleak_line_begin(&l);
		noleak_line_str(&l, "summary: ... and ");
		noleak_line_int(&l, (long)c->unlisted);
		noleak_line_str(&l, c->unlisted == 1 ? " more descriptor, not listed"
						     : " more descriptors, not listed");
		noleak_line_emit(&l);
	}
}

struct audit {
	const struct keepers *k;
	const char *name, *program;
	long pid;
	int enforce;
	size_t reported;
};

/* One spawn writes at most this many lines about descriptors, then one
 * line saying how many more there were: a daemon with thousands of them
 * would otherwise pay for describing each, at every spawn. */
enum { REPORT_LINES_MAX = 16 };

static void audit_one(int fd, void *ctx)
{
	struct audit *a = ctx;
	struct noleak_site site;
	struct noleak_line l;
	size_t what;
	int flags;

	if (fd < 3 || keepers_have(a->k, fd))
		return;
	flags = noleak_raw_getfd(fd);
	/* Enforcing, a descriptor was stopped either at creation (the
	 * shim's own close-on-exec) or now, by the sweep to come; one the
	 * program made close-on-exec itself was never going to leak. */
	if (flags < 0 || ((flags & FD_CLOEXEC) && !(a->enforce && noleak_added_test(fd))))
		return;
	if (a->reported++ >= REPORT_LINES_MAX)
		return;		/* counted, not described */
	noleak_line_begin(&l);
	noleak_line_str(&l, a->enforce ? "stopped: " : "audit: ");
	noleak_line_str(&l, a->name);
	noleak_line_str(&l, "[");
	noleak_line_int(&l, a->pid);
	noleak_line_str(&l, a->enforce ? "] fd " : "] would leak fd ");
	noleak_line_int(&l, fd);
	noleak_line_str(&l, " (");
	what = l.len;
	noleak_describe_fd(&l, fd);
	if (noleak_counts)
		summary_add(l.buf + what, l.len - what, a->program);
	noleak_line_str(&l, a->enforce ? ") from leaking into " : ") into ");
	noleak_line_str(&l, a->program);
	/* The creator belongs to the descriptor (intent.c): a close through
	 * the library forgets it, so an unknown creator is never the name of
	 * whatever call had the number before. */
	if (noleak_site_get(fd, &site) == 0) {
		noleak_line_str(&l, "; made by ");
		noleak_line_str(&l, site.call);
		noleak_line_str(&l, "() at ");
		put_module(&l, (unsigned long)site.caller);
	} else if (fd < NOLEAK_SITE_MAX) {
		noleak_line_str(&l, "; made by a call the library does not see "
				"(a raw system call, io_uring) or before it set up");
	}
	noleak_line_emit(&l);
}

/* Every open descriptor, for audit_one: by poll(2), a thousand numbers
 * a call, up to the end of the table, where /proc/self/fd would build a
 * dentry for each (a few microseconds apiece: with thousands of
 * descriptors, a log multiplied the cost of every spawn).  The report runs
 * on a stack of its own (exec.c), which holds the 8 KiB this takes. */
enum { AUDIT_CHUNK = 1024 };

static void audit_walk(struct audit *a)
{
	struct pollfd p[AUDIT_CHUNK + 1];
	struct rlimit rl;
	long max = LOOP_CAP;

	if (noleak_raw(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&rl, 0) == 0 &&
	    rl.rlim_cur < (rlim_t)max)
		max = (long)rl.rlim_cur;
	if (noleak_fds_polled(audit_one, a, p, AUDIT_CHUNK, max) < 0)
		noleak_fds_any_way(audit_one, a, REPORT_SCAN_CAP);
}

/* The line for what audit_one counted past REPORT_LINES_MAX. */
static void audit_more(const struct audit *a)
{
	struct noleak_line l;

	if (a->reported <= REPORT_LINES_MAX)
		return;
	noleak_line_begin(&l);
	noleak_line_str(&l, a->enforce ? "stopped: " : "audit: ");
	noleak_line_str(&l, a->name);
	noleak_line_str(&l, "[");
	noleak_line_int(&l, a->pid);
	noleak_line_str(&l, "] ... and ");
	noleak_line_int(&l, (long)(a->reported - REPORT_LINES_MAX));
	noleak_line_str(&l, a->enforce ? " more descriptors from leaking into "
				       : " more descriptors would leak into ");
	noleak_line_str(&l, a->program);
	noleak_line_emit(&l);
}

size_t noleak_sweep_audit(const struct noleak_keep *keep,
			  const struct noleak_fdset *named, const char *name,
			  long pid, const char *program, int enforce)
{
	struct keepers k = { keep, named };
	struct audit a = { &k, name, program, pid, enforce, 0 };

	if (noleak_counts) {
		long me = noleak_raw(SYS_getpid, 0, 0, 0, 0, 0);

		__atomic_fetch_add(&noleak_counts->programs, 1, __ATOMIC_RELAXED);
		/* A fork becoming another program is nobody's heir. */
		__atomic_compare_exchange_n(&noleak_counts->heir, &me, 0, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	}
	audit_walk(&a);
	audit_more(&a);
	if (noleak_counts) {
		__atomic_fetch_add(&noleak_counts->descriptors, a.reported, __ATOMIC_RELAXED);
		if (a.reported > REPORT_LINES_MAX)	/* counted, not described */
			__atomic_fetch_add(&noleak_counts->unlisted,
					   a.reported - REPORT_LINES_MAX, __ATOMIC_RELAXED);
	}
	return a.reported;
}
