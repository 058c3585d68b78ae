/* SPDX-License-Identifier: MIT */
/* settings.h: the process's configuration, read once, and the set-up
 * (config.c); what the sandbox changes (wrap-sandbox.c). */
#ifndef NOLEAK_SETTINGS_H
#define NOLEAK_SETTINGS_H

#include "common.h"
#include "policy.h"

enum noleak_scope { NOLEAK_SCOPE_PROCESS, NOLEAK_SCOPE_TREE };
enum noleak_mode { NOLEAK_MODE_ENFORCE, NOLEAK_MODE_AUDIT, NOLEAK_MODE_OFF };

struct noleak_config {
	struct noleak_keep keep;	/* NOLEAK_KEEP, when it is ours */
	enum noleak_scope scope;	/* NOLEAK_SCOPE */
	int restore_signals;		/* NOLEAK_SIGNALS=restore */
	enum noleak_mode mode;		/* NOLEAK_MODE */
	char name[32];			/* this program's short name */
	long owner;			/* _NOLEAK_PID: the process noleak
					   was started with */
	long self;			/* this process, when it started: an
					   exec from another pid is a child's */
	char libbase[64];		/* our file name, for LD_PRELOAD */
	unsigned long mask_at_start;	/* the blocked mask at start */
	unsigned long long args_digest;	/* of argv[1...] at start, 0 when not
					   known (noleak_args_digest) */
	unsigned rules;			/* the table's rules for this program:
					   NOLEAK_RULE(...) bits */
	int hostwide;			/* loaded by /etc/ld.so.preload, not
					   named in LD_PRELOAD: every process
					   is its own owner */
	char *carry[9];			/* copies of LD_PRELOAD and NOLEAK_*
					   as found at start ("NAME=value"),
					   for NOLEAK_ENV_CARRY;
					   NULL-terminated */
};

extern struct noleak_config noleak_config;

/* The paths the program's row names ("reexec") as its own program too,
 * each ending in NUL, then an empty one (exec.c, same_file); NULL without
 * such a row.  NOLEAK_REEXEC_MAX bytes of paths and their NULs at most
 * (a value of 511 bytes, one separator between paths), and the empty
 * one.  A page mapped by the first such line: a start without one
 * touches nothing of it. */
enum { NOLEAK_REEXEC_MAX = 512 };
extern char *noleak_reexec;

/* Set when this process is to be left exactly as without the shim: a
 * descendant in the process scope, or a shell (whose "cmd 3<file" opens
 * straight onto 3 and relies on it being inherited).  Wrappers then add
 * nothing and sweep nothing. */
extern int noleak_dormant;

/* Set in NOLEAK_MODE=audit, where the process is otherwise dormant: each
 * exec reports what enforce would have marked, and changes nothing. */
extern int noleak_audit;

/* Set when NOLEAK_LOG names a log: enforce then reports what it stops. */
extern int noleak_log_set;

/* Set everything up (next symbols, configuration, the descriptors inherited
 * at start-up).  Runs at the first wrapper that needs it, never at load
 * unless reports are asked for: most processes never need it.
 * Idempotent and thread-safe; a call from inside it (dlsym can allocate,
 * and an allocator's start-up can open a file) returns at once. */
void noleak_init(void);

/* Set once noleak_init has run. */
extern int noleak_ready;

/* This process forked child: if it is the one to say the summary, the
 * child is its heir (a daemon going to the background). */
void noleak_summary_forked(long child);

/* ---- wrap-sandbox.c: a seccomp filter -------------------------------- */

/* errno err from a call the library made in place of the program's
 * (accept4 for accept, pipe2 for pipe...): whether it says a filter
 * refused the call (ENOSYS; EPERM where the call itself never gives it,
 * eperm 1).  If so, the library is sandboxed from now on, and says once
 * what protection is lost. */
int noleak_refused(int err, int eperm);

/* Whether the process started under a seccomp filter, asked at load with
 * only the calls the loader made (wrap-sandbox.c). */
NOLEAK_AT_LOAD int noleak_filtered_from_start(void);

/* A seccomp filter is about to be installed: set up and bind while every
 * system call is still allowed, and, when reports are on, say once what
 * protection is lost. */
void noleak_sandbox_entering(void);

/* ---- what every wrapper asks first ----------------------------------- */

/* Whether the shim leaves this process as it is (noleak_dormant), set up
 * first if need be: what every wrapper asks before it adds anything. */
static inline int noleak_asleep(void)
{
	if (__builtin_expect(!__atomic_load_n(&noleak_ready, __ATOMIC_ACQUIRE), 0)) {
		noleak_init();
		/* Still not: a signal handler that interrupted the set-up.
		 * Left as without the library, which loses nothing: the
		 * census was taken at load. */
		if (!__atomic_load_n(&noleak_ready, __ATOMIC_ACQUIRE))
			return 1;
	}
	return noleak_dormant;
}

/* The flags to create with: flags plus bit, unless the program asked for
 * it already or the shim is dormant.  *added says whether bit is ours. */
static inline int noleak_want(int flags, int bit, int *added)
{
	*added = !noleak_asleep() && !(flags & bit);
	return *added ? flags | bit : flags;
}

#endif
