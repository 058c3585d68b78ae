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
 * everything from spawn_child down is in the async-signal-safe zone, raw
 * system calls only, and errno is never touched (it is the parent's). */
#include "noleak.h"

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

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

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

/* ---- the child: async-signal-safe from here to the parent's part ----- */

#define RAW(nr, a, b, c) noleak_raw(SYS_##nr, (long)(a), (long)(b), (long)(c), 0, 0)

/* Signals: nothing of the parent's handlers may run here, in its memory.
 * Those the attributes name go to their default; other handled signals
 * too; ignored ones stay ignored (exec keeps them so). */
NOLEAK_ASYNC_SAFE static void child_signals(const struct job *j)
{
	struct kernel_sigaction dfl = { (void *)SIG_DFL, 0, NULL, 0 };
	struct kernel_sigaction ign = { (void *)SIG_IGN, 0, NULL, 0 };

	for (int sig = 1; sig <= 64; sig++) {
		struct kernel_sigaction old;
		unsigned long bit = 1UL << (sig - 1);

		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if ((j->attr.flags & POSIX_SPAWN_SETSIGDEF) &&
		    (j->attr.sigdefault & bit)) {
			noleak_raw(SYS_rt_sigaction, sig, (long)&dfl, 0, 8, 0);
			continue;
		}
		if (sig == 32 || sig == 33) {	/* glibc's own: SIGCANCEL, SIGSETXID */
			noleak_raw(SYS_rt_sigaction, sig, (long)&ign, 0, 8, 0);
			continue;
		}
		if (noleak_raw(SYS_rt_sigaction, sig, 0, (long)&old, 8, 0) == 0 &&
		    old.handler != (void *)SIG_IGN && old.handler != (void *)SIG_DFL)
			noleak_raw(SYS_rt_sigaction, sig, (long)&dfl, 0, 8, 0);
	}
}

/* The attributes other than signals, in glibc's order; 0 or -errno. */
NOLEAK_ASYNC_SAFE static long child_attributes(const struct job *j)
{
	short f = j->attr.flags;
	long r = 0;

	if ((f & (POSIX_SPAWN_SETSCHEDPARAM | POSIX_SPAWN_SETSCHEDULER)) ==
	    POSIX_SPAWN_SETSCHEDPARAM)
		r = RAW(sched_setparam, 0, &j->attr.param, 0);
	else if (f & POSIX_SPAWN_SETSCHEDULER)
		r = RAW(sched_setscheduler, 0, j->attr.policy, &j->attr.param);
	if (r < 0)
		return r;
	if ((f & POSIX_SPAWN_SETSID) && (r = RAW(setsid, 0, 0, 0)) < 0)
		return r;
	if ((f & POSIX_SPAWN_SETPGROUP) &&
	    (r = RAW(setpgid, 0, j->attr.pgroup, 0)) < 0)
		return r;
	if (f & POSIX_SPAWN_RESETIDS) {
		/* glibc: seteuid(getuid()), then setegid(getgid()). */
		if ((r = RAW(setresuid, -1, RAW(getuid, 0, 0, 0), -1)) < 0 ||
		    (r = RAW(setresgid, -1, RAW(getgid, 0, 0, 0), -1)) < 0)
			return r;
	}
	return 0;
}

NOLEAK_ASYNC_SAFE static void close_from(int fd, void *ctx)
{
	if (fd >= *(int *)ctx)
		RAW(close, fd, 0, 0);
}

/* The caller's file actions, as glibc's child runs them; 0 or -errno. */
NOLEAK_ASYNC_SAFE static long child_actions(const struct job *j)
{
	for (int i = 0; i < j->nactions; i++) {
		const struct glibc_action *a = &j->actions[i];
		long r = 0;

		switch (a->tag) {
		case DO_CLOSE: {
			struct rlimit rl;
			int fd = a->action.close_action.fd;

			/* An error only for a number out of range. */
			if (RAW(close, fd, 0, 0) < 0 &&
			    (fd < 0 ||
			     (noleak_raw(SYS_prlimit64, 0, RLIMIT_NOFILE, 0,
					 (long)&rl, 0) == 0 &&
			      (rlim_t)fd >= rl.rlim_cur)))
				return -EBADF;
			break;
		}
		case DO_OPEN: {
			int fd = a->action.open_action.fd;

			RAW(close, fd, 0, 0);
			r = noleak_raw(SYS_openat, AT_FDCWD,
				       (long)a->action.open_action.path,
				       a->action.open_action.oflag | O_LARGEFILE,
				       a->action.open_action.mode, 0);
			if (r >= 0 && r != fd) {
				long d = RAW(dup3, r, fd, 0);

				RAW(close, r, 0, 0);
				r = d;
			}
			break;
		}
		case DO_DUP2: {
			int fd = a->action.dup2_action.fd;
			int to = a->action.dup2_action.newfd;

			/* Austin Group issue 411: dup2 onto itself clears
			 * close-on-exec. */
			if (fd == to) {
				r = noleak_raw_getfd(fd);
				if (r >= 0)
					r = noleak_raw_setfd(fd, (int)r & ~FD_CLOEXEC);
			} else {
				r = RAW(dup3, fd, to, 0);
			}
			break;
		}
		case DO_CHDIR:
			r = RAW(chdir, a->action.chdir_action.path, 0, 0);
			break;
		case DO_FCHDIR:
			r = RAW(fchdir, a->action.fchdir_action.fd, 0, 0);
			break;
		case DO_CLOSEFROM: {
			int from = a->action.closefrom_action.from;

			if (RAW(close_range, from, ~0U, 0) < 0)
				noleak_fd_each(close_from, &from, INT_MAX);
			break;
		}
		case DO_TCSETPGRP: {
			int pgrp = (j->attr.flags & POSIX_SPAWN_SETPGROUP) &&
				   j->attr.pgroup ? j->attr.pgroup
						  : (int)RAW(getpgid, 0, 0, 0);

			r = RAW(ioctl, a->action.tcsetpgrp_action.fd, TIOCSPGRP, &pgrp);
			break;
		}
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* execve, and for the old posix_spawn a file without "#!" run by /bin/sh
 * (spawni.c, maybe_script_execute).  Returns -errno. */
NOLEAK_ASYNC_SAFE static long child_exec(const struct job *j, const char *path)
{
	long r = RAW(execve, path, j->argv, j->envp);

	if (r == -ENOEXEC && (j->xflags & NOLEAK_SPAWN_TRY_SHELL)) {
		char **a = j->script_argv;

		a[0] = (char *)"/bin/sh";
		a[1] = (char *)path;
		for (size_t i = 1; i <= j->argc; i++)
			a[i + 1] = j->argv[i];	/* argv[argc] is NULL */
		if (j->argc == 0)
			a[2] = NULL;
		RAW(execve, "/bin/sh", a, j->envp);
	}
	return r;
}

/* posix_spawnp's search along PATH (posix/execvpe.c, without the shell
 * fallback unless TRY_SHELL). */
NOLEAK_ASYNC_SAFE static long child_search(const struct job *j)
{
	const char *file = j->file, *p = j->path_var;
	char buf[PATH_MAX + NAME_MAX + 2];
	size_t flen = 0;
	int eacces = 0;
	long r = -ENOENT;

	if (!*file)
		return -ENOENT;
	for (const char *s = file; *s; s++)
		if (*s == '/')
			return child_exec(j, file);
	while (flen <= NAME_MAX && file[flen])
		flen++;
	if (flen > NAME_MAX)
		return -ENAMETOOLONG;
	for (;;) {
		const char *end = p;
		size_t dlen;

		while (*end && *end != ':')
			end++;
		dlen = (size_t)(end - p);
		if (dlen < PATH_MAX) {
			memcpy(buf, p, dlen);
			if (dlen)
				buf[dlen++] = '/';
			memcpy(buf + dlen, file, flen + 1);
			r = child_exec(j, buf);
			switch (-r) {
			case EACCES:
				eacces = 1;
				/* fall through */
			case ENOENT: case ESTALE: case ENOTDIR:
			case ENODEV: case ETIMEDOUT:
				break;
			default:
				return r;
			}
		}
		if (!*end)
			break;
		p = end + 1;
	}
	return eacces ? -EACCES : r;
}

NOLEAK_ASYNC_SAFE static int spawn_child(void *arg)
{
	struct job *j = arg;
	long r;
	unsigned long mask;

	child_signals(j);
	/* The report is written here, on this stack, before anything moves:
	 * the caller's thread may have little. */
	if (j->report)
		noleak_sweep_audit(&noleak_config.keep, &j->named,
				   noleak_config.name, noleak_config.self,
				   j->report, 1);
	r = child_attributes(j);
	if (r == 0 && j->helper)
		noleak_added_clear_all();
	else if (r == 0 && j->sweep)
		noleak_sweep(&noleak_config.keep, &j->named);
	if (r == 0)
		r = child_actions(j);
	if (r == 0) {
		mask = (j->attr.flags & POSIX_SPAWN_SETSIGMASK) ? j->attr.sigmask
								: j->oldmask;
		noleak_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, 8, 0);
		r = (j->xflags & NOLEAK_SPAWN_USE_PATH) ? child_search(j)
							: child_exec(j, j->file);
	}
	j->err = r < 0 ? (int)-r : ECHILD;
	noleak_raw(SYS_exit_group, 127, 0, 0, 0, 0);
	return 127;
}

/* ---- the parent -------------------------------------------------------- */

int noleak_spawn(pid_t *pid, const char *file, int xflags,
		 const posix_spawn_file_actions_t *actions,
		 const struct noleak_spawn_attr *attr, char *const argv[],
		 char *const envp[], const struct noleak_fdset *named,
		 int helper, unsigned plan, const char *report)
{
	size_t argc = 0, envc = 0, size, room;
	unsigned long all = ~0UL;
	struct job *j;
	char *area;
	int state, err;
	pid_t child;

	while (argv && argv[argc])
		argc++;
	while (plan && envp && envp[envc])
		envc++;
	/* The job, the shell's argv, the rewritten environment, the stack. */
	room = sizeof(*j) + (argc + 3) * sizeof(char *);
	if (plan)
		room += (envc + ENV_EXTRA) * sizeof(char *) + PRELOAD_ROOM;
	size = room + CHILD_STACK;
	size = (size + 4095) & ~(size_t)4095;
	area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (area == MAP_FAILED)
		return errno;
	j = (struct job *)area;
	memset(j, 0, sizeof(*j));
	j->file = file;
	j->xflags = xflags;
	j->path_var = NULL;
	if (xflags & NOLEAK_SPAWN_USE_PATH) {
		j->path_var = getenv("PATH");
		if (!j->path_var)
			j->path_var = "/bin:/usr/bin";
	}
	j->argv = argv;
	j->envp = envp;
	if (plan) {
		char **env = (char **)(area + sizeof(*j) + (argc + 3) * sizeof(char *));
		char *preload = (char *)(env + envc + ENV_EXTRA);

		if (noleak_env_rewrite(envp, plan, noleak_config.libbase, NULL,
				       noleak_config.carry, env, envc + ENV_EXTRA,
				       preload, PRELOAD_ROOM) != (size_t)-1)
			j->envp = env;
	}
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

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
	noleak_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&j->oldmask, 8, 0);
	child = clone(spawn_child, area + size, CLONE_VM | CLONE_VFORK | SIGCHLD, j);
	if (child > 0) {
		err = j->err;
		/* The child failed before or at exec: collect it, as glibc
		 * does, so the caller never sees a pid that is not running. */
		if (err > 0)
			while (noleak_raw(SYS_wait4, child, 0, 0, 0, 0) == -EINTR)
				;
	} else {
		err = errno;
		if (err == EPERM || err == ENOSYS) {
			__atomic_store_n(&clone_refused, 1, __ATOMIC_RELAXED);
			err = NOLEAK_SPAWN_REFUSED;
		}
	}
	noleak_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&j->oldmask, 0, 8, 0);
	munmap(area, size);
	pthread_setcancelstate(state, NULL);
	if (err == 0 && pid)
		*pid = child;
	return err;
}
