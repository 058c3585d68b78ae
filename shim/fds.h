/* SPDX-License-Identifier: MIT */
/* fds.h: which descriptors are open (fds.c), found without allocating. */
#ifndef NOLEAK_FDS_H
#define NOLEAK_FDS_H

#include "common.h"

/* The bounded loop never goes past NOLEAK_LOOP_CAP numbers; without /proc,
 * resource keep entries and reports look at the first NOLEAK_SCAN_CAP. */
enum { NOLEAK_LOOP_CAP = 1 << 20, NOLEAK_SCAN_CAP = 4096 };

struct pollfd;

/* Call fn(fd, ctx) for every open descriptor from 3, found by poll(2),
 * chunk numbers a call in p (chunk + 1 entries), up to max or the end of
 * the table, whichever comes first.  Returns where it stopped, or -1 when
 * poll failed. */
long noleak_fds_polled(void (*fn)(int fd, void *ctx), void *ctx,
		       struct pollfd *p, int chunk, long max);

/* Call fn(fd, ctx) for every open descriptor, from /proc/self/fd, without
 * allocating.  Returns 0, or -1 when /proc/self/fd cannot be read. */
int noleak_fds_from_proc(void (*fn)(int fd, void *ctx), void *ctx);

/* Like noleak_fds_from_proc, and without /proc, call fn for every number from 3
 * below the soft RLIMIT_NOFILE and cap, open or not: fn must cope with a
 * number that is closed. */
void noleak_fds_any_way(void (*fn)(int fd, void *ctx), void *ctx,
		    long cap);

#endif
