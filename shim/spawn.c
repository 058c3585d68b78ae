/* SPDX-License-Identifier: MIT */
/* spawn.c: starting a program in a child that sweeps its own table.
 *
 * posix_spawn, system and popen give the caller no code between the copy of
 * the descriptor table and the exec.  Sweeping the parent before the copy,
 * as the shim once did, has three faults: a descriptor made in between by a
 * call the shim cannot see (io_uring, a raw syscall in another thread)
 * reaches the child; whatever is decided for one child (the JDK's helper
 * must get the shim's flags taken off) is seen by every other thread's
 * children meanwhile; and the parent needs a lock against creators for as
 * long as the copy takes, which system() held for its whole command.
 *
 * So the shim starts these children itself, the way glibc's own __spawni
 * does (sysdeps/unix/sysv/linux/spawni.c): clone(CLONE_VM | CLONE_VFORK)
 * onto a stack mapped for the purpose, with every signal blocked, and the
 * work done in the child, which has a copy of the table of its own:
 * signals reset, attributes applied, then the sweep, then the caller's file
 * actions (a dup2 there is what the caller means to pass), then exec.  The
 * parent waits only for the exec or the failure, as with vfork, and no flag
 * in its own table ever changes.
 *
 * The caller's file actions are read from glibc's internal layout
 * (posix/spawn_int.h: struct __spawn_action), the same from 2.34 to 2.42.
 * noleak_spawn_usable says no for another glibc, or for an attribute flag
 * this file does not know (POSIX_SPAWN_SETCGROUP, 2.41): the caller then
 * goes through glibc as before, sweeping its own table first.
 *
 * The child runs in the parent's memory with the parent's thread pointer:
 * what it does is in spawn-child.c, in the async-signal-safe zone; this
 * file is the parent's side. */
#include "spawn-api.h"
#include "spawn-job.h"
#include "close-range.h"
#include "policy.h"
#include "raw.h"
#include "settings.h"

#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int glibc_ok = -1;

/* Set once clone(2) was refused (a seccomp filter that allows only clone3,
 * or none): from then on every spawn goes through glibc, whose own clone3
 * may still be allowed. */
static int clone_refused;

/* Whether this glibc lays out file actions as spawn.c reads them. */
static int glibc_known(void)
{
	int ok = __atomic_load_n(&glibc_ok, __ATOMIC_RELAXED);

	if (ok < 0) {
		const char *v = gnu_get_libc_version();
		char *end;
		long major = strtol(v, &end, 10), minor = -1;

		if (*end == '.')
			minor = strtol(end + 1, NULL, 10);
		ok = major == 2 && minor >= 34 && minor <= 42;
		__atomic_store_n(&glibc_ok, ok, __ATOMIC_RELAXED);
	}
	return ok;
}

int noleak_spawn_usable(const posix_spawn_file_actions_t *actions,
			const posix_spawnattr_t *attr)
{
	short flags = 0;

	if (!glibc_known() || __atomic_load_n(&clone_refused, __ATOMIC_RELAXED))
		return 0;
	if (attr && (posix_spawnattr_getflags(attr, &flags) != 0 ||
		     (flags & ~KNOWN_FLAGS)))
		return 0;
	if (actions) {
		const struct glibc_action *a = (const void *)actions->__actions;

		for (int i = 0; i < actions->__used; i++)
			if ((unsigned)a[i].tag > DO_TCSETPGRP)
				return 0;
	}
	return 1;
}

static unsigned long set_bits(const sigset_t *set)
{
	unsigned long bits = 0;

	for (int sig = 1; sig <= 64; sig++)
		if (sigismember(set, sig) == 1)
			bits |= 1UL << (sig - 1);
	return bits;
}

void noleak_spawn_attr_read(const posix_spawnattr_t *attr,
			    struct noleak_spawn_attr *out)
{
	sigset_t set;

	memset(out, 0, sizeof(*out));
	if (!attr)
		return;
	posix_spawnattr_getflags(attr, &out->flags);
	posix_spawnattr_getpgroup(attr, &out->pgroup);
	posix_spawnattr_getschedpolicy(attr, &out->policy);
	posix_spawnattr_getschedparam(attr, &out->param);
	if (posix_spawnattr_getsigdefault(attr, &set) == 0)
		out->sigdefault = set_bits(&set);
	if (posix_spawnattr_getsigmask(attr, &set) == 0)
		out->sigmask = set_bits(&set);
}

static void bits_set(unsigned long bits, sigset_t *set)
{
	sigemptyset(set);
	for (int sig = 1; sig <= 64; sig++)
		if ((bits >> (sig - 1)) & 1)
			sigaddset(set, sig);
}

const posix_spawnattr_t *noleak_spawn_attr_write(const posix_spawnattr_t *attr,
						 const struct noleak_spawn_attr *a,
						 posix_spawnattr_t *mine)
{
	struct noleak_spawn_attr was;
	sigset_t set;

	noleak_spawn_attr_read(attr, &was);
	if (was.flags == a->flags && was.sigdefault == a->sigdefault &&
	    was.sigmask == a->sigmask)
		return attr;
	if (attr)
		*mine = *attr;	/* plain data in glibc: flags, sets, policy */
	else
		posix_spawnattr_init(mine);
	bits_set(a->sigdefault, &set);
	posix_spawnattr_setsigdefault(mine, &set);
	bits_set(a->sigmask, &set);
	posix_spawnattr_setsigmask(mine, &set);
	posix_spawnattr_setflags(mine, a->flags);
	return mine;
}

/* ---- the parent -------------------------------------------------------- */

/* The child's environment, rewritten as plan says into the room after the
 * job and the shell's argv (envc + ENV_EXTRA pointers, then PRELOAD_ROOM
 * bytes); envp itself when the rewrite does not fit. */
static char *const *child_env(char *area, size_t argc, char *const envp[],
			      size_t envc, unsigned plan)
{
	char **env = (char **)(area + sizeof(struct job) + (argc + 3) * sizeof(char *));
	char *preload = (char *)(env + envc + ENV_EXTRA);

	if (noleak_env_rewrite(envp, plan, noleak_config.libbase, NULL,
			       noleak_config.carry, env, envc + ENV_EXTRA,
			       preload, PRELOAD_ROOM) == (size_t)-1)
		return envp;
	return env;
}

/* clone the child onto the stack at top and wait for its exec; returns 0
 * and *child, an error number, or NOLEAK_SPAWN_REFUSED. */
static int start_child(struct job *j, char *top, pid_t *child)
{
	unsigned long all = ~0UL;
	int state, err;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
	noleak_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&j->oldmask, 8, 0);
	*child = clone(noleak_spawn_child, top, CLONE_VM | CLONE_VFORK | SIGCHLD, j);
	if (*child > 0) {
		err = j->err;
		/* The child failed before or at exec: collect it, as glibc
		 * does, so the caller never sees a pid that is not running. */
		if (err > 0)
			while (noleak_raw(SYS_wait4, *child, 0, 0, 0, 0) == -EINTR)
				;
	} else {
		err = errno;
		if (err == EPERM || err == ENOSYS) {
			__atomic_store_n(&clone_refused, 1, __ATOMIC_RELAXED);
			err = NOLEAK_SPAWN_REFUSED;
		}
	}
	noleak_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&j->oldmask, 0, 8, 0);
	pthread_setcancelstate(state, NULL);
	return err;
}

int noleak_spawn(pid_t *pid, const char *file, int xflags,
		 const posix_spawn_file_actions_t *actions,
		 const struct noleak_spawn_attr *attr, char *const argv[],
		 char *const envp[], const struct noleak_fdset *named,
		 int helper, unsigned plan, const char *report)
{
	size_t argc = 0, envc = 0, size;
	struct job *j;
	char *area;
	int err;
	pid_t child;

	while (argv && argv[argc])
		argc++;
	while (plan && envp && envp[envc])
		envc++;
	/* The job, the shell's argv, the rewritten environment, the stack. */
	size = sizeof(*j) + (argc + 3) * sizeof(char *) + CHILD_STACK;
	if (plan)
		size += (envc + ENV_EXTRA) * sizeof(char *) + PRELOAD_ROOM;
	size = (size + 4095) & ~(size_t)4095;
	/* Raw: a first call must not resolve libc's mmap on the caller's
	 * stack (config.c, warm_calls). */
	area = (char *)noleak_raw(SYS_mmap, 0, (long)size, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1);
	if ((long)area < 0 && (long)area > -4096)
		return (int)-(long)area;
	j = (struct job *)area;
	memset(j, 0, sizeof(*j));
	j->file = file;
	j->xflags = xflags;
	if (xflags & NOLEAK_SPAWN_USE_PATH) {
		j->path_var = getenv("PATH");
		if (!j->path_var)
			j->path_var = "/bin:/usr/bin";
	}
	j->argv = argv;
	j->envp = plan ? child_env(area, argc, envp, envc, plan) : envp;
	if (actions) {
		j->actions = (const void *)actions->__actions;
		j->nactions = actions->__used;
	}
	j->attr = *attr;
	j->helper = helper;
	j->report = helper ? NULL : report;
	j->sweep = !noleak_dormant && !noleak_audit;
	if (named)
		j->named = *named;
	j->script_argv = (char **)(area + sizeof(*j));
	j->argc = argc;
	err = start_child(j, area + size, &child);
	noleak_raw(SYS_munmap, (long)area, (long)size, 0, 0, 0);
	if (err == 0 && pid)
		*pid = child;
	return err;
}
