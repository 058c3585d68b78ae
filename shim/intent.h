/* SPDX-License-Identifier: MIT */
/* intent.h: what the program said about inheritance, what the shim added,
 * and where each descriptor was made (intent.c). */
#ifndef NOLEAK_INTENT_H
#define NOLEAK_INTENT_H

#include "common.h"

/* The program set (inherit 0) or cleared (inherit 1) close-on-exec on fd
 * itself, by fcntl F_SETFD, ioctl FIOCLEX/FIONCLEX or dup2/dup3 onto it:
 * the flag is the program's from now on, and intent is kept or dropped. */
void noleak_intent_said(int fd, int inherit);

/* dup2 or dup3 put a new descriptor on fd: where it was made, and
 * noleak_intent_said. */
void noleak_dup_onto(int fd, int inherit);

/* The program set close-on-exec on every descriptor from lo to hi itself
 * (close_range with CLOSE_RANGE_CLOEXEC): forget their intent, and that
 * the shim ever added the flag to any of them. */
void noleak_intent_drop_range(unsigned int lo, unsigned int hi);

/* The descriptor at fd, or every one from lo to hi, is being closed (or
 * replaced) through the library: forget what the shim added there, where
 * it was made, and any intent.  No system call unless intent was recorded
 * there (then one getpid: a vfork child never clears its parent's). */
void noleak_fd_closed(int fd);
void noleak_fds_closed(unsigned int lo, unsigned int hi);

/* The census of the descriptors open and inheritable now, at start-up,
 * by the constructor: they are what the process inherited.  One poll(2)
 * for the first 64 numbers and one select(2) to learn whether the
 * table goes further; beyond, /proc/self/fd, or the numbers below cap. */
void noleak_census(long cap);

/* The process whose descriptor table the records describe: the one the
 * library started in, or the child of a fork made through the library.
 * Clearing intent is left to it (a vfork child shares the records). */
void noleak_table_own(long pid);

/* Whether fd (>= 3) is inheritable by intent: inherited at start-up or made
 * so by the program, and not closed through the library since. */
int noleak_intent_has(int fd);

/* The lowest number >= from kept by intent, or -1; *hi gets the last number
 * of the run it starts (itself, or INT_MAX where intent was lost).  Stack
 * only, no system call. */
int noleak_intent_next(int from, int *hi);

enum { NOLEAK_ADDED_MAX = 65536 };

/* Whether the shim, not the program, put close-on-exec on the descriptor
 * fd holds now (noleak_track_new records it): only such a flag may ever be
 * undone by the shim.  A bit per number, forgotten when the descriptor is
 * closed. */
int noleak_added_test(int fd);

/* Take off every close-on-exec flag the shim added: in the child of
 * noleak_spawn, for a helper that must receive what it would without the
 * shim. */
void noleak_added_clear_all(void);

/* For an exec in place of the daemon's own executable (a reload), after
 * the sweep: the numbers that reach the new image with the flag the shim
 * added taken off, so that the new image marks them again as its own
 * instead of taking them for inherited (config.c): those the sweep kept
 * because the new image is told about them (HAProxy's master passes its
 * socketpairs in HAPROXY_PROCESSES and -x sockpair@N) and, with
 * listeners (the same arguments too), the listening sockets, the
 * daemon's own listeners, whose flag comes off here: it may look for them
 * again by scanning its descriptors (uWSGI).  Writes the numbers into buf
 * (of size len) as "3-5,9", cut short at the last whole range that fits.
 * Returns the length written. */
size_t noleak_added_reexec_list(char *buf, size_t len,
				int listeners);

/* Put close-on-exec on the numbers of such a list, as the shim's own flag:
 * after a failed exec, and in the new program (config.c). */
void noleak_added_mark_list(const char *list);

/* The same for the numbers from lo to hi only (what a keep-list or a
 * command line names). */
void noleak_added_clear_range(int lo, int hi);

/* Bookkeeping for a descriptor a wrapper has just created.  added says
 * whether the shim asked for close-on-exec the program did not ask for.
 * A result of 0, 1 or 2 never keeps the shim's flag (the daemonize idiom
 * and "close(1); dup(fd)" land there on purpose).  Returns fd; errno is
 * preserved. */
int noleak_track_new(int fd, int added);

/* For a descriptor a composite (openpty, glibc's tmpfile) made without
 * close-on-exec: mark it now, as the shim's own flag.  0-2 are left
 * alone; errno is untouched. */
void noleak_mark_new(int fd);

/* ---- where descriptors were made, for reports ------------------------ */

/* Set when reports are on (NOLEAK_MODE=audit, or NOLEAK_LOG set): only then
 * do wrappers note where each descriptor was made. */
extern int noleak_reporting;

/* The creating call and its caller, noted by the exported wrapper and
 * taken by noleak_track_new for the descriptor it makes. */
struct noleak_site {
	const char *call;
	void *caller;
};
extern __thread struct noleak_site noleak_pending
	__attribute__((tls_model("initial-exec")));

/* First statement of every exported wrapper that may make a descriptor:
 * two stores to thread-local memory when reports are on, a test when not. */
#define NOLEAK_SITE(name)                                                \
	do {                                                             \
		if (noleak_reporting) {                                  \
			noleak_pending.call = #name;                     \
			noleak_pending.caller = __builtin_return_address(0); \
		}                                                        \
	} while (0)

enum { NOLEAK_SITE_MAX = 4096 };

/* Where fd was made, if it is below NOLEAK_SITE_MAX and was noted; 0 or -1. */
int noleak_site_get(int fd, struct noleak_site *site);

#endif
