/* config.c: the process's configuration, read once, and the constructor.
 *
 * The environment is read here and nowhere else: exec wrappers may run in a
 * vfork child, where parsing is out of the question, so everything they
 * need is prepared before (in the constructor, or at the first wrapper that
 * needs it, since other libraries' constructors can run first). */
#include "noleak.h"

#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* How far start-up looks for inherited descriptors when /proc is missing. */
enum { STARTUP_SCAN_CAP = 65536 };

struct noleak_config noleak_config;

enum { UNREADY, STARTING, READY };
static int init_state = UNREADY;
static pid_t init_tid;

/* Report one unusable entry of an environment variable, quoting it with
 * anything unprintable escaped, and cut short if it is long. */
static void complain(void *ctx, const char *entry, size_t len, const char *why)
{
	static const char hex[] = "0123456789abcdef";
	struct noleak_line l;
	size_t shown = len > 64 ? 64 : len;

	noleak_line_begin(&l);
	noleak_line_str(&l, (const char *)ctx);
	noleak_line_str(&l, ": ignoring '");
	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)entry[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			noleak_line_mem(&l, entry + i, 1);
		} else {
			char esc[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

			noleak_line_mem(&l, esc, sizeof(esc));
		}
	}
	if (shown < len)
		noleak_line_str(&l, "...");
	noleak_line_str(&l, "': ");
	noleak_line_str(&l, why);
	noleak_line_emit(&l);
}

static void read_environment(void)
{
	const char *keep = getenv("NOLEAK_KEEP");

	if (keep)
		noleak_keep_parse(keep, &noleak_config.keep, complain,
				  (void *)"NOLEAK_KEEP");
}

static void keep_inherited(int fd, void *ctx)
{
	int flags;

	if (fd < 3)
		return;
	flags = noleak_raw_getfd(fd);
	if (flags >= 0 && !(flags & FD_CLOEXEC))
		noleak_intent_keep(fd);
}

/* Whatever reached this process inheritable was passed on purpose by
 * whoever started it (a supervisor's sockets, a shell's "3<file"): record
 * it, so that passing it on is not taken for a leak. */
static void record_inherited(void)
{
	struct rlimit rl;
	long bound = STARTUP_SCAN_CAP;

	if (noleak_fd_walk(keep_inherited, NULL) == 0)
		return;
	if (noleak_raw(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&rl, 0) == 0 &&
	    rl.rlim_cur < (rlim_t)bound)
		bound = (long)rl.rlim_cur;
	for (long fd = 3; fd < bound; fd++)
		keep_inherited((int)fd, NULL);
}

void noleak_init(void)
{
	int expected = UNREADY;
	pid_t tid;

	if (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == READY)
		return;
	tid = (pid_t)noleak_raw(SYS_gettid, 0, 0, 0, 0, 0);
	if (!__atomic_compare_exchange_n(&init_state, &expected, STARTING, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* Another thread is initialising: wait for it, unless that
		 * "thread" is us, re-entered from inside initialisation. */
		if (__atomic_load_n(&init_tid, __ATOMIC_ACQUIRE) == tid)
			return;
		while (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) != READY)
			sched_yield();
		return;
	}
	__atomic_store_n(&init_tid, tid, __ATOMIC_RELEASE);
	noleak_next_bind();
	record_inherited();
	read_environment();
	/* close_range(~0U, ~0U, CLOSE_RANGE_CLOEXEC) touches nothing; it fails
	 * with ENOSYS before Linux 5.9, EINVAL before 5.11, EPERM under older
	 * seccomp profiles. */
	noleak_have_close_range =
		noleak_raw(SYS_close_range, ~0U, ~0U, CLOSE_RANGE_CLOEXEC, 0, 0) == 0;
	__atomic_store_n(&init_state, READY, __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void noleak_constructor(void)
{
	noleak_init();
}
