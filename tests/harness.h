/* SPDX-License-Identifier: MIT */
/* harness.h: run a test program under the real loader, with or without the
 * shim, and read what it printed.  No shell stands between the test and the
 * program: the environment is built here and passed to execve. */
#ifndef HARNESS_H
#define HARNESS_H

#include <stddef.h>

struct run {
	int status;		/* as from waitpid */
	char out[16384];	/* standard output */
	char err[16384];	/* standard error */
};

/* Run argv with an environment of PATH, LD_PRELOAD=$NOLEAK_LIBRARY when
 * preload is set, and the NAME=VALUE strings of env (NULL-terminated, may
 * be NULL).  Fills *r; returns r->status.  Aborts the test on harness
 * failure or after 60 seconds. */
int run_program(struct run *r, int preload, const char *const *env,
		const char *const *argv);

/* The same, for tests/probe with the given arguments. */
int run_probe(struct run *r, int preload, const char *const *env,
	      const char *const *args);

/* The same, for one of the probe's builds (tests/probe-lfs, ...). */
int run_probe_as(struct run *r, const char *build, int preload,
		 const char *const *env, const char *const *args);

/* Parse the numbers on the line of text that starts with key (followed by
 * a space or the end of the line).  Returns how many, or -1 if no line. */
int line_numbers(const char *text, const char *key, int *vals, int max);

/* Whether the "inherited" line of text lists fd. */
int inherited(const char *text, int fd);

/* Path of a file built in tests/, in a static buffer. */
const char *test_path(const char *name);

#endif
