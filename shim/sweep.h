/* SPDX-License-Identifier: MIT */
/* sweep.h: marking stray descriptors close-on-exec before exec (sweep.c). */
#ifndef NOLEAK_SWEEP_H
#define NOLEAK_SWEEP_H

#include "common.h"
#include "policy.h"

enum noleak_sweep_how {
	NOLEAK_SWEEP_CLOSE_RANGE = 1,	/* close_range(CLOSE_RANGE_CLOEXEC) */
	NOLEAK_SWEEP_PROC = 2,		/* getdents64 walk of /proc/self/fd */
	NOLEAK_SWEEP_LOOP = 3,		/* bounded loop over every number */
};

/* Set at start-up under secure execution (AT_SECURE: setuid, setgid, file
 * capabilities).  The sweep then never takes a close-on-exec flag off. */
extern int noleak_secure;

/* What must not be marked, read where it lies: the keep-list's ranges, the
 * descriptors the new program is told about, and the recorded intent.
 * Nothing is copied, so the sweep's stack does not grow with any of them. */
struct noleak_keepers {
	const struct noleak_keep *keep;
	const struct noleak_fdset *named;
};

/* Whether k keeps fd. */
int noleak_keepers_have(const struct noleak_keepers *k, int fd);

/* Mark close-on-exec every descriptor >= 3 the program did not mean to
 * pass: all but those in keep (may be NULL), the recorded intent, and the
 * descriptors in named (may be NULL: those the new program is told about,
 * and the fd of fexecve).  Never closes anything.  Kept and named
 * descriptors whose close-on-exec the shim added, and that still hold the
 * file it added it on, get it cleared (never under noleak_secure).  Uses a
 * few hundred bytes of stack, whatever the sizes of keep, named and the
 * intent records; costs O(kept x sources) steps, not O(RLIMIT_NOFILE).
 * errno is untouched.  Returns how it swept. */
enum noleak_sweep_how noleak_sweep(const struct noleak_keep *keep,
				   const struct noleak_fdset *named);

#endif
