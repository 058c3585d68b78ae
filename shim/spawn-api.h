/* SPDX-License-Identifier: MIT */
/* spawn-api.h: the shim's own posix_spawn (spawn.c, spawn-child.c), for the
 * wrappers that start programs. */
#ifndef NOLEAK_SPAWN_API_H
#define NOLEAK_SPAWN_API_H

#include "common.h"
#include "policy.h"
#include <sched.h>
#include <spawn.h>
#include <sys/types.h>

/* What the child of noleak_spawn is to do with its attributes: the
 * caller's posix_spawnattr_t read through the public getters (signal sets
 * as bit s-1), or the shim's own for system(). */
struct noleak_spawn_attr {
	short flags;			/* POSIX_SPAWN_* */
	pid_t pgroup;
	int policy;
	struct sched_param param;
	unsigned long sigdefault;	/* with POSIX_SPAWN_SETSIGDEF */
	unsigned long sigmask;		/* with POSIX_SPAWN_SETSIGMASK */
};

enum { NOLEAK_SPAWN_USE_PATH = 1, NOLEAK_SPAWN_TRY_SHELL = 2 };

/* noleak_spawn's answer when the kernel refused clone(2) itself: nothing
 * was started, and the caller is to go through glibc instead (and so will
 * every later caller: noleak_spawn_usable says no from then on). */
enum { NOLEAK_SPAWN_REFUSED = -1 };

/* Whether noleak_spawn can carry out actions and attr on this glibc: it
 * reads the file actions' internal layout (2.34 to 2.42) and knows the
 * attribute flags up to POSIX_SPAWN_SETSID.  When not, the caller goes
 * through glibc's own posix_spawn. */
int noleak_spawn_usable(const posix_spawn_file_actions_t *actions,
			const posix_spawnattr_t *attr);

/* Read attr (may be NULL) into out. */
void noleak_spawn_attr_read(const posix_spawnattr_t *attr,
			    struct noleak_spawn_attr *out);

/* For glibc's own posix_spawn: attr itself when a says nothing new about
 * signals, else a copy of it in mine with a's flags and signal sets. */
const posix_spawnattr_t *noleak_spawn_attr_write(const posix_spawnattr_t *attr,
						 const struct noleak_spawn_attr *a,
						 posix_spawnattr_t *mine);

/* posix_spawn, done by the shim: the child resets signals, applies attr,
 * sweeps its own copy of the table (keeping named, the keep-list and the
 * recorded intent; with helper, it takes off the shim's own flags
 * instead), runs the file actions and execs, with envp changed as plan
 * (NOLEAK_ENV_*) says.  With report (the program's name),
 * the child first reports what it stops.  xflags: NOLEAK_SPAWN_*.
 * Returns 0 and the child's pid in *pid (may be NULL), an error number, or
 * NOLEAK_SPAWN_REFUSED; errno is left as the calls made it.  Nothing in this process's table
 * changes, and no lock is held. */
int noleak_spawn(pid_t *pid, const char *file, int xflags,
		 const posix_spawn_file_actions_t *actions,
		 const struct noleak_spawn_attr *attr, char *const argv[],
		 char *const envp[], const struct noleak_fdset *named,
		 int helper, unsigned plan, const char *report);

#endif
