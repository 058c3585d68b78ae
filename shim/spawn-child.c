/* SPDX-License-Identifier: MIT */
/* spawn-child.c: the child of the shim's own posix_spawn (spawn.c).
 *
 * It runs in the parent's memory, on a stack the parent mapped, with the
 * parent's thread pointer and every signal blocked: in the async-signal-safe
 * zone, like everything it calls.  Raw system calls only, nothing
 * allocated, no lock, and errno never touched (it is the parent's).  In
 * order: signals reset, attributes applied, the report and the sweep of its
 * own copy of the table, the caller's file actions, the exec (or the PATH
 * search, or /bin/sh for the old version's TRY_SHELL). */
#include "spawn-job.h"
#include "close-range.h"
#include "fds.h"
#include "intent.h"
#include "raw.h"
#include "report.h"
#include "settings.h"
#include "signals.h"
#include "sweep.h"
#include "spawn-job.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#define RAW(nr, a, b, c) noleak_raw(SYS_##nr, (long)(a), (long)(b), (long)(c), 0, 0)

/* Signals: nothing of the parent's handlers may run here, in its memory.
 * Those the attributes name go to their default; other handled signals
 * too; ignored ones stay ignored (exec keeps them so). */
static void child_signals(const struct job *j)
{
	struct noleak_kernel_sigaction dfl = { (void *)SIG_DFL, 0, NULL, 0 };
	struct noleak_kernel_sigaction ign = { (void *)SIG_IGN, 0, NULL, 0 };

	for (int sig = 1; sig <= 64; sig++) {
		struct noleak_kernel_sigaction old;
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
static long child_attributes(const struct job *j)
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

static void close_from(int fd, void *ctx)
{
	if (fd >= *(int *)ctx)
		RAW(close, fd, 0, 0);
}

/* The caller's file actions, as glibc's child runs them; 0 or -errno. */
/* close: an error only for a number out of range. */
static long action_close(int fd)
{
	struct rlimit rl;

	if (RAW(close, fd, 0, 0) < 0 &&
	    (fd < 0 || (noleak_raw(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&rl,
				   0) == 0 && (rlim_t)fd >= rl.rlim_cur)))
		return -EBADF;
	return 0;
}

/* open onto fd, whatever number the kernel gave. */
static long action_open(int fd, const char *path, int oflag,
			mode_t mode)
{
	long r;

	RAW(close, fd, 0, 0);
	r = noleak_raw(SYS_openat, AT_FDCWD, (long)path, oflag | O_LARGEFILE,
		       mode, 0);
	if (r >= 0 && r != fd) {
		long d = RAW(dup3, r, fd, 0);

		RAW(close, r, 0, 0);
		r = d;
	}
	return r;
}

/* dup2; onto itself it clears close-on-exec (Austin Group issue 411). */
static long action_dup2(int fd, int to)
{
	long r;

	if (fd != to)
		return RAW(dup3, fd, to, 0);
	r = noleak_raw_getfd(fd);
	return r < 0 ? r : noleak_raw_setfd(fd, (int)r & ~FD_CLOEXEC);
}

/* tcsetpgrp to the child's process group. */
static long action_tcsetpgrp(const struct job *j, int fd)
{
	int pgrp = (j->attr.flags & POSIX_SPAWN_SETPGROUP) && j->attr.pgroup
			   ? j->attr.pgroup : (int)RAW(getpgid, 0, 0, 0);

	return RAW(ioctl, fd, TIOCSPGRP, &pgrp);
}

static long child_actions(const struct job *j)
{
	for (int i = 0; i < j->nactions; i++) {
		const struct glibc_action *a = &j->actions[i];
		int from;
		long r = 0;

		switch (a->tag) {
		case DO_CLOSE:
			r = action_close(a->action.close_action.fd);
			break;
		case DO_OPEN:
			r = action_open(a->action.open_action.fd,
					a->action.open_action.path,
					a->action.open_action.oflag,
					a->action.open_action.mode);
			break;
		case DO_DUP2:
			r = action_dup2(a->action.dup2_action.fd,
					a->action.dup2_action.newfd);
			break;
		case DO_CHDIR:
			r = RAW(chdir, a->action.chdir_action.path, 0, 0);
			break;
		case DO_FCHDIR:
			r = RAW(fchdir, a->action.fchdir_action.fd, 0, 0);
			break;
		case DO_CLOSEFROM:
			from = a->action.closefrom_action.from;
			if (RAW(close_range, from, ~0U, 0) < 0)
				noleak_fds_any_way(close_from, &from, INT_MAX);
			break;
		case DO_TCSETPGRP:
			r = action_tcsetpgrp(j, a->action.tcsetpgrp_action.fd);
			break;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* The old posix_spawn's last try, for a file without "#!": /bin/sh with
 * the file as its first argument (spawni.c, maybe_script_execute), as
 * named, a bare name too: glibc does not search for it again. */
static void child_script(const struct job *j, const char *path)
{
	char **a = j->script_argv;

	a[0] = (char *)"/bin/sh";
	a[1] = (char *)path;
	for (size_t i = 1; i <= j->argc; i++)
		a[i + 1] = j->argv[i];	/* argv[argc] is NULL */
	if (j->argc == 0)
		a[2] = NULL;
	RAW(execve, "/bin/sh", a, j->envp);
}

/* execve, and for the old posix_spawn a file without "#!" run by /bin/sh.
 * Returns -errno. */
static long child_exec(const struct job *j, const char *path)
{
	long r = RAW(execve, path, j->argv, j->envp);

	if (r == -ENOEXEC && (j->xflags & NOLEAK_SPAWN_TRY_SHELL))
		child_script(j, path);
	return r;
}

/* posix_spawnp's search along PATH (posix/execvpe.c, __execvpex: no shell
 * for a file without "#!" found there; the old version's TRY_SHELL then
 * runs /bin/sh with the name as given, spawni.c). */
static long child_search(const struct job *j)
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
			r = RAW(execve, buf, j->argv, j->envp);
			switch (-r) {
			case EACCES:
				eacces = 1;
				/* fall through */
			case ENOENT: case ESTALE: case ENOTDIR:
			case ENODEV: case ETIMEDOUT:
				break;
			default:
				if (r == -ENOEXEC && (j->xflags & NOLEAK_SPAWN_TRY_SHELL))
					child_script(j, file);
				return r;
			}
		}
		if (!*end)
			break;
		p = end + 1;
	}
	return eacces ? -EACCES : r;
}

int noleak_spawn_child(void *arg)
{
	struct job *j = arg;
	long r;
	unsigned long mask;

	child_signals(j);
	/* The report is written here, on this stack, before anything moves:
	 * the caller's thread may have little. */
	if (j->report)
		noleak_report_strays(&noleak_config.keep, &j->named,
				     noleak_config.name, noleak_config.self,
				     j->report, NOLEAK_REPORT_ENFORCE);
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

