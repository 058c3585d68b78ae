/* SPDX-License-Identifier: MIT */
/* report.c: the lines a report writes at an exec, "stopped: ..." or
 * "audit: ... would leak fd N (WHAT) into PROGRAM; made by CALL() at
 * FILE+0xOFF", where the file comes from /proc/self/maps; and the counters
 * and rows of the summary said at exit.
 *
 * In the async-signal-safe zone: raw system calls and the stack only; the
 * counters live in a page mapped at start and shared with forked children. */
#include "report.h"
#include "describe.h"
#include "fds.h"
#include "intent.h"
#include "log.h"
#include "raw.h"
#include "sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>

/* ---- where a descriptor was made: /proc/self/maps ------------------- */

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

/* ---- the summary at exit -------------------------------------------- */

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

/* ---- the lines of a report -------------------------------------------- */

struct audit {
	const struct noleak_keepers *k;
	const char *name, *program;
	long pid;
	int enforce, reload;
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

	if (fd < 3 || noleak_keepers_have(a->k, fd) ||
	    (a->reload && noleak_fd_listening(fd)))
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
	long max = NOLEAK_LOOP_CAP;

	if (noleak_raw(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&rl, 0) == 0 &&
	    rl.rlim_cur < (rlim_t)max)
		max = (long)rl.rlim_cur;
	if (noleak_fds_polled(audit_one, a, p, AUDIT_CHUNK, max) < 0)
		noleak_fds_any_way(audit_one, a, NOLEAK_SCAN_CAP);
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

size_t noleak_report_strays(const struct noleak_keep *keep,
			  const struct noleak_fdset *named, const char *name,
			  long pid, const char *program, unsigned how)
{
	struct noleak_keepers k = { keep, named };
	struct audit a = { &k, name, program, pid, !!(how & NOLEAK_REPORT_ENFORCE),
			   !!(how & NOLEAK_REPORT_RELOAD), 0 };

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
