/* SPDX-License-Identifier: MIT */
/* spawn-job.h: what the parent of noleak_spawn (spawn.c) prepares and its
 * child (spawn-child.c) reads. */
#ifndef NOLEAK_SPAWN_JOB_H
#define NOLEAK_SPAWN_JOB_H

#include "policy.h"
#include "spawn-api.h"

#include <sys/types.h>

/* glibc's struct __spawn_action (posix/spawn_int.h, 2.34 to 2.42). */
struct glibc_action {
	enum {
		DO_CLOSE, DO_DUP2, DO_OPEN, DO_CHDIR, DO_FCHDIR, DO_CLOSEFROM,
		DO_TCSETPGRP
	} tag;
	union {
		struct { int fd; } close_action;
		struct { int fd, newfd; } dup2_action;
		struct { int fd; char *path; int oflag; mode_t mode; } open_action;
		struct { char *path; } chdir_action;
		struct { int fd; } fchdir_action;
		struct { int from; } closefrom_action;
		struct { int fd; } tcsetpgrp_action;
	} action;
};

/* The attribute flags the child applies (spawn.h, glibc 2.26 to 2.40). */
enum {
	KNOWN_FLAGS = POSIX_SPAWN_RESETIDS | POSIX_SPAWN_SETPGROUP |
		      POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
		      POSIX_SPAWN_SETSCHEDPARAM | POSIX_SPAWN_SETSCHEDULER |
		      POSIX_SPAWN_USEVFORK | POSIX_SPAWN_SETSID
};

/* Stack for the child: the sweep, the PATH search's buffer and glibc's
 * signal code stay far below this; untouched pages cost nothing. */
enum { CHILD_STACK = 64 * 1024, PRELOAD_ROOM = 4096, ENV_EXTRA = 10 };

/* What the parent prepares and the child reads; the child writes err. */
struct job {
	const char *file;
	const char *path_var;		/* PATH, for a search */
	int xflags;
	char *const *argv;
	char *const *envp;
	const struct glibc_action *actions;
	int nactions;
	struct noleak_spawn_attr attr;
	unsigned long oldmask;		/* the caller's mask */
	int helper;			/* the JDK's helper: see wrap-exec.c */
	const char *report;		/* the program, for "stopped" lines */
	int sweep;
	struct noleak_fdset named;
	char **script_argv;		/* room for argc + 2, TRY_SHELL */
	size_t argc;
	int err;			/* the child's errno, or 0 */
};

/* The child of clone(CLONE_VM | CLONE_VFORK): signals, attributes, the
 * sweep, the file actions, the exec.  Sets j->err and exits 127 when it
 * cannot exec.  Async-signal-safe. */
int noleak_spawn_child(void *arg);

#endif
