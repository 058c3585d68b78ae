/* SPDX-License-Identifier: MIT */
/* testing.h: what only the tests (tests/check_policy.c, fuzz/parsers.c)
 * call or set: functions the library uses inside their own file, or not at
 * all, and state the tests set up.  Of the library's files, only those
 * that define them include it (so the compiler checks each definition
 * against its prototype). */
#ifndef NOLEAK_TESTING_H
#define NOLEAK_TESTING_H

#include "policy.h"

/* Whether fd is covered by keep. */
int noleak_keep_has(const struct noleak_keep *keep, int fd);

/* Whether set holds fd. */
int noleak_fdset_has(const struct noleak_fdset *set, int fd);

/* The table, and how many entries it has. */
size_t noleak_conventions(const struct noleak_convention **table);

/* Copy envp into out (capacity max, NULL-terminated), with every
 * LD_PRELOAD entry whose file name is base taken out, the others kept in
 * order; the rewritten LD_PRELOAD goes in buf (of size len), and is dropped
 * when nothing is left.  An LD_PRELOAD too long for buf is kept as it is.
 * Returns the number of variables.  Allocates nothing. */
size_t noleak_env_strip(char *const *envp, const char *base, char **out,
			size_t max, char *buf, size_t len);

/* The program made fd inheritable on purpose (F_SETFD without FD_CLOEXEC,
 * FIONCLEX, dup2 or dup3 onto it).  Numbers at or above NOLEAK_ADDED_MAX
 * are kept from the lowest such one up. */
void noleak_intent_keep(int fd);

/* The program set close-on-exec on fd itself: forget any intent. */
void noleak_intent_drop(int fd);

/* Record whether the shim, not the program, put close-on-exec on the
 * descriptor fd holds now (intent.c; noleak_track_new calls it). */
void noleak_added_set(int fd, int added);

/* Set once close_range(CLOSE_RANGE_CLOEXEC) has failed: the kernel or a
 * seccomp profile does not have it. */
extern int noleak_close_range_fails;

#endif
