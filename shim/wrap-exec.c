/* SPDX-License-Identifier: MIT */
/* wrap-exec.c: fork execve execv execvp execvpe execl execlp execle
 * fexecve execveat system popen pclose fclose posix_spawn posix_spawnp.
 *
 * Each entry point sweeps stray descriptors before the new program starts.
 * None of them can rely on another: glibc's exec family calls the hidden
 * __execve (posix/execl.c, posix/execvpe.c, sysdeps/unix/sysv/linux/
 * fexecve.c), and system and popen spawn through the hidden __posix_spawn
 * (sysdeps/posix/system.c, libio/iopopen.c), never through a public symbol.
 *
 * The exec family sweeps in the calling process, which is usually the child
 * of fork or vfork, so only the child's descriptors change; an exec in place
 * that fails leaves them marked but open.  system, popen and posix_spawn
 * give the caller no code in the child, so the shim carries them out itself
 * (spawn.c) and the sweep happens in the child there too.
 *
 * What happens at the exec itself, in whichever process calls it, is in
 * exec.c (the async-signal-safe zone); this file holds the entry points,
 * which set the library up first, and the parents of system, popen and
 * posix_spawn.
 *
 * vfork is not wrapped: a C wrapper would return twice through one stack
 * frame.  The sweep happens in the exec the vfork child must call. */
#include "noleak.h"
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail_nosys(void)
{
	errno = ENOSYS;
	return -1;
}

static long my_pid(void)
{
	return noleak_raw(SYS_getpid, 0, 0, 0, 0, 0);
}

/* Set up, and whether this process sweeps (or, in audit, reports). */
static int acts_at_exec(void)
{
	noleak_init();
	return noleak_acts_at_exec();
}

static int do_execve(const char *path, char *const argv[], char *const envp[])
{
	struct noleak_target t = { NOLEAK_EXEC_VE, AT_FDCWD, UNTRUSTED(path), 0, -1 };

	noleak_init();
	NEXT_BOUND(execve);	/* exec.c, in the zone, never binds */
	return noleak_exec_run(&t, argv, envp);
}

static int do_execvpe(const char *file, char *const argv[], char *const envp[])
{
	struct noleak_target t = { NOLEAK_EXEC_VPE, AT_FDCWD, UNTRUSTED(file), 0, -1 };

	noleak_init();
	NEXT_BOUND(execvpe);
	return noleak_exec_run(&t, argv, envp);
}

NOLEAK_EXPORT int execve(const char *path, char *const argv[],
			 char *const envp[])
{
	return do_execve(path, argv, envp);
}

/* execv and execvp use environ; they become execve and execvpe with it,
 * which is what glibc does too (posix/execv.c, posix/execvp.c). */
NOLEAK_EXPORT int execv(const char *path, char *const argv[])
{
	return do_execve(path, argv, environ);
}

NOLEAK_EXPORT int execvp(const char *file, char *const argv[])
{
	return do_execvpe(file, argv, environ);
}

NOLEAK_EXPORT int execvpe(const char *file, char *const argv[],
			  char *const envp[])
{
	return do_execvpe(file, argv, envp);
}

/* The execl family passes its arguments as a list ending in NULL (and, for
 * execle, an environment after it).  They are gathered into an array on
 * the caller's own stack, as glibc does (posix/execl.c), and handed to the
 * matching array form: list_length counts them, list_fill copies them.
 * The array stays in the exported function itself: a helper holding it
 * would add its frame to the stack of every execl (tests/stack.sh). */
static size_t list_length(va_list ap)
{
	size_t argc = 1;
	va_list copy;

	va_copy(copy, ap);
	while (va_arg(copy, char *))
		argc++;
	va_end(copy);
	return argc;
}

/* Fill argv (argc + 1 slots) with first and what follows it in ap, up to
 * and with its NULL; ap is left after the NULL. */
static void list_fill(char **argv, size_t argc, const char *first, va_list *ap)
{
	argv[0] = (char *)first;
	for (size_t i = 1; i <= argc; i++)
		argv[i] = va_arg(*ap, char *);
}

NOLEAK_EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;

	va_start(ap, arg);
	size_t argc = list_length(ap);
	char *argv[argc + 1];

	list_fill(argv, argc, arg, &ap);
	va_end(ap);
	return do_execve(path, argv, environ);
}

NOLEAK_EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;

	va_start(ap, arg);
	size_t argc = list_length(ap);
	char *argv[argc + 1];

	list_fill(argv, argc, arg, &ap);
	va_end(ap);
	return do_execvpe(file, argv, environ);
}

NOLEAK_EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char **envp;

	va_start(ap, arg);
	size_t argc = list_length(ap);
	char *argv[argc + 1];

	list_fill(argv, argc, arg, &ap);
	envp = va_arg(ap, char **);
	va_end(ap);
	return do_execve(path, argv, envp);
}

/* fexecve of a script makes the interpreter open /dev/fd/N, so fd must
 * survive the exec; the sweep keeps it, and takes off a close-on-exec flag
 * the shim put there (execveat(2), BUGS). */
NOLEAK_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	struct noleak_target t = { NOLEAK_EXEC_FD, fd, NULL, 0, fd };

	noleak_init();
	NEXT_BOUND(fexecve);
	return noleak_exec_run(&t, argv, envp);
}

NOLEAK_EXPORT int execveat(int dirfd, const char *path, char *const argv[],
			   char *const envp[], int flags)
{
	/* The program to run is dirfd itself only for an empty path; a NULL
	 * or unreadable one is the kernel's to refuse. */
	int empty = (flags & AT_EMPTY_PATH) && noleak_path_empty(path);
	struct noleak_target t = { NOLEAK_EXEC_AT, dirfd, UNTRUSTED(path), flags,
				   empty ? dirfd : -1 };

	noleak_init();
	NEXT_BOUND(execveat);
	return noleak_exec_run(&t, argv, envp);
}

/* ---- fork -------------------------------------------------------------- */

/* fork copies the descriptor table and never sweeps: a child that does not
 * exec (a prefork worker) needs everything, and one that does sweeps then,
 * in its own table. */
static void system_after_fork(void);

NOLEAK_EXPORT pid_t fork(void)
{
	__typeof__(fork) *next = NEXT_BOUND(fork);
	pid_t pid;
	long parent;

	/* NULL when a signal handler forks on the thread whose first call
	 * is setting the library up, where dlsym must not be entered again
	 * (tests/exact.sh, forkrace "signal"): glibc's _Fork, the fork
	 * without atfork handlers that glibc says is async-signal-safe. */
	if (!next)
		next = _Fork;
	noleak_init();		/* once, so that the child starts set up */
	if (noleak_sandboxed)	/* getpid, rt_sigprocmask: not there */
		return next();
	parent = my_pid();
	pid = next();
	if (pid == 0) {
		system_after_fork();
		noleak_forked(parent);
	} else {
		noleak_summary_forked(pid);
	}
	return pid;
}

/* ---- what a child started by system, popen or posix_spawn keeps ------ */

/* The jspawnhelper of the JDK is told three descriptor numbers and finds
 * the parent's pipe ends itself; it marks or closes every descriptor before
 * it execs the real program (java.base/unix/native/libjava/childproc.c), so
 * it must get exactly what it would without the shim: in its own table,
 * the shim's flags come off, and nobody else's child sees that. */
static int is_fd_closing_helper(const char *path)
{
	const char *slash = strrchr(path, '/');

	return (noleak_program_rules(slash ? slash + 1 : path) &
		NOLEAK_RULE(PROGRAM_HELPER)) != 0;
}

/* Fill named with what a new program is told about (argv, or the words
 * of a shell command), and say whether the shim's own spawner is to start
 * it (which reports in the child, with a log set).  When not, the caller
 * goes through glibc: in audit mode (which changes nothing), or on a glibc
 * whose file actions spawn.c cannot read, after sweeping this process's
 * own table as a fallback. */
static int prepare_child(struct noleak_fdset *named, char *const argv[],
			 const char *command, char *const envp[],
			 const char *program,
			 const posix_spawn_file_actions_t *actions,
			 const posix_spawnattr_t *attr)
{
	/* The child's pid is not known yet, but it is not this process's:
	 * sockets LISTEN_PID says are for this process stay here. */
	struct noleak_start s = { argv, argv ? NULL : command, envp, -my_pid(), -1 };

	noleak_decide(named, &s);
	if (!noleak_audit && noleak_spawn_usable(actions, attr))
		return 1;
	noleak_sweep_named(named, program);
	return 0;
}

/* What the child's report names, when a log is set (enforce only: audit
 * goes through glibc). */
static const char *report_name(const char *program)
{
	return noleak_log_set ? program : NULL;
}

/* With NOLEAK_SIGNALS=restore, the child gets the dispositions and mask
 * the process started with; the caller's own attributes win. */
static void restore_in_child(struct noleak_spawn_attr *a)
{
	unsigned long reset;

	if (noleak_asleep() || !noleak_config.restore_signals)
		return;
	reset = noleak_sig_ignored_since_start();
	if (reset) {
		if (!(a->flags & POSIX_SPAWN_SETSIGDEF))
			a->sigdefault = 0;
		a->sigdefault |= reset;
		a->flags |= POSIX_SPAWN_SETSIGDEF;
	}
	if (!(a->flags & POSIX_SPAWN_SETSIGMASK)) {
		a->sigmask = noleak_config.mask_at_start;
		a->flags |= POSIX_SPAWN_SETSIGMASK;
	}
}

/* ---- system ------------------------------------------------------------ */

/* While any thread is in system(), SIGINT and SIGQUIT are ignored; the
 * first to enter saves them and the last to leave puts them back
 * (sysdeps/posix/system.c).  The shim changes them with raw calls, so its
 * own changes are never taken for the program's. */
static pthread_mutex_t system_lock = PTHREAD_MUTEX_INITIALIZER;
static int system_refs;
static struct noleak_kernel_sigaction system_intr, system_quit;

static void system_after_fork(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

	system_lock = fresh;
	system_refs = 0;
}

static void set_action(int sig, const struct noleak_kernel_sigaction *act,
		       struct noleak_kernel_sigaction *old)
{
	noleak_raw(SYS_rt_sigaction, sig, (long)act, (long)old, 8, 0);
}

/* The last thread out of system() puts SIGINT and SIGQUIT back. */
static void system_leave(void)
{
	pthread_mutex_lock(&system_lock);
	if (--system_refs == 0) {
		set_action(SIGINT, &system_intr, NULL);
		set_action(SIGQUIT, &system_quit, NULL);
	}
	pthread_mutex_unlock(&system_lock);
}

struct system_wait {
	pid_t pid;
	unsigned long omask;
};

/* system() is a cancellation point, in its waitpid: a thread cancelled
 * there kills and collects its child and leaves as any other would
 * (sysdeps/posix/system.c, cancel_handler). */
static void system_cancelled(void *arg)
{
	const struct system_wait *w = arg;
	int state;

	noleak_raw(SYS_kill, w->pid, SIGKILL, 0, 0, 0);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
	while (noleak_raw(SYS_wait4, w->pid, 0, 0, 0, 0) == -EINTR)
		;
	system_leave();
	noleak_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&w->omask, 0, 8, 0);
}

/* glibc's system, with the shim's spawn: SIGINT and SIGQUIT ignored and
 * SIGCHLD blocked while the command runs.  Returns the status, or sets
 * *refused and returns 0 when the kernel refused clone and the caller is
 * to go through glibc (everything here undone). */
static int shim_system(const char *command, const struct noleak_fdset *named,
		       int *refused)
{
	static const struct noleak_kernel_sigaction ign = { (void *)SIG_IGN, 0, NULL, 0 };
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)command, NULL };
	unsigned long chld = 1UL << (SIGCHLD - 1);
	struct noleak_spawn_attr a = { 0 };
	struct system_wait w = { 0, 0 };
	int status = -1, err, saved;
	pid_t got;

	pthread_mutex_lock(&system_lock);
	if (system_refs++ == 0) {
		set_action(SIGINT, &ign, &system_intr);
		set_action(SIGQUIT, &ign, &system_quit);
	}
	if (system_intr.handler != (void *)SIG_IGN)
		a.sigdefault |= 1UL << (SIGINT - 1);
	if (system_quit.handler != (void *)SIG_IGN)
		a.sigdefault |= 1UL << (SIGQUIT - 1);
	pthread_mutex_unlock(&system_lock);
	noleak_raw(SYS_rt_sigprocmask, SIG_BLOCK, (long)&chld, (long)&w.omask, 8, 0);
	a.flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
	a.sigmask = w.omask;
	restore_in_child(&a);

	err = noleak_spawn(&w.pid, "/bin/sh", 0, NULL, &a, argv, environ, named,
			   0, noleak_spawn_plan(), report_name(command));
	if (err == 0) {
		pthread_cleanup_push(system_cancelled, &w);
		do
			got = waitpid(w.pid, &status, 0);
		while (got < 0 && errno == EINTR);
		pthread_cleanup_pop(0);
		if (got != w.pid)
			status = -1;
	} else {
		/* POSIX: as if the shell had exited with 127. */
		status = 127 << 8;
	}
	saved = errno;
	system_leave();
	noleak_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&w.omask, 0, 8, 0);
	*refused = err == NOLEAK_SPAWN_REFUSED;
	errno = err > 0 ? err : saved;
	return status;
}

NOLEAK_EXPORT int system(const char *command)
{
	__typeof__(system) *next = NEXT_BOUND(system);
	struct noleak_fdset named = { 0 };
	int refused, status;

	if (!next)
		return fail_nosys();
	/* system(NULL) only asks whether there is a shell; a command that
	 * cannot be read is glibc's to answer, exactly as without us. */
	if (!command || !acts_at_exec() || !noleak_text_readable(command) ||
	    !prepare_child(&named, NULL, command, environ, command, NULL, NULL))
		return next(command);
	status = shim_system(command, &named, &refused);
	if (!refused)
		return status;
	noleak_sweep(&noleak_config.keep, &named);
	return next(command);
}

/* ---- popen and pclose ---------------------------------------------------- */

/* The streams popen made and their children, for pclose (and fclose,
 * which glibc makes wait for a popen stream too).  Slots are claimed and
 * released with atomics: popen may run in a child of fork. */
enum { POPEN_MAX = 256 };
static struct {
	FILE *stream;	/* NULL: free; POPEN_CLAIMED: being filled */
	pid_t pid;
} popened[POPEN_MAX];
static int popen_live;
#define POPEN_CLAIMED ((FILE *)1)

static int popen_claim(void)
{
	for (int i = 0; i < POPEN_MAX; i++) {
		FILE *free_slot = NULL;

		if (__atomic_compare_exchange_n(&popened[i].stream, &free_slot,
						POPEN_CLAIMED, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED)) {
			__atomic_fetch_add(&popen_live, 1, __ATOMIC_RELAXED);
			return i;
		}
	}
	return -1;
}

static void popen_release(int i)
{
	__atomic_store_n(&popened[i].stream, NULL, __ATOMIC_RELEASE);
	__atomic_fetch_sub(&popen_live, 1, __ATOMIC_RELAXED);
}

/* Take f's slot; the child's pid, or -1 when f is not a stream of ours. */
static pid_t popen_take(FILE *f)
{
	if (!f || !__atomic_load_n(&popen_live, __ATOMIC_RELAXED))
		return -1;
	for (int i = 0; i < POPEN_MAX; i++) {
		FILE *mine = f;

		if (__atomic_load_n(&popened[i].stream, __ATOMIC_ACQUIRE) == f &&
		    __atomic_compare_exchange_n(&popened[i].stream, &mine,
						POPEN_CLAIMED, 0,
						__ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED)) {
			pid_t pid = popened[i].pid;

			popen_release(i);
			return pid;
		}
	}
	return -1;
}

/* Wait for a popen child: no cancellation point, as in glibc's pclose
 * (libio/iopopen.c), so a cancelled thread never leaves a zombie. */
static int wait_child(pid_t pid)
{
	int status, state;
	pid_t got;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
	do
		got = waitpid(pid, &status, 0);
	while (got < 0 && errno == EINTR);
	pthread_setcancelstate(state, NULL);
	return got == pid ? status : -1;
}

/* popen as glibc does it (libio/iopopen.c): a pipe made close-on-exec, the
 * child's end moved onto 0 or 1 by a file action, /bin/sh -c COMMAND.
 * The parent's end stays close-on-exec (the shim's own flag when the mode
 * has no 'e'), so no later child inherits it: glibc would clear it. */
/* popen's mode: *read (or write) and *cloexec ('e'); 0, or -1 with
 * EINVAL for anything else, as glibc's (libio/iopopen.c). */
static int popen_mode(const char *mode, int *read, int *cloexec)
{
	int rd = 0, wr = 0;

	*cloexec = 0;
	for (const char *m = mode; *m; m++) {
		if (*m == 'r')
			rd = 1;
		else if (*m == 'w')
			wr = 1;
		else if (*m == 'e')
			*cloexec = 1;
		else
			rd = wr = 1;	/* an unknown letter */
	}
	*read = rd;
	if (rd == wr) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* The pipe of popen, both ends close-on-exec: fds[0] the caller's,
 * fds[1] the child's, never on the number std it is moved onto there.
 * 0, or -1 with errno. */
static int popen_pipe(int read, int fds[2])
{
	int p[2], std = read ? 1 : 0;

	if (noleak_raw_result(noleak_raw(SYS_pipe2, (long)p, O_CLOEXEC, 0, 0, 0)) < 0)
		return -1;
	fds[0] = read ? p[0] : p[1];
	fds[1] = read ? p[1] : p[0];
	if (fds[1] == std) {
		long moved = noleak_raw(SYS_fcntl, fds[1], F_DUPFD_CLOEXEC, 3, 0, 0);

		noleak_raw(SYS_close, fds[1], 0, 0, 0, 0);
		if (moved < 0) {
			noleak_raw(SYS_close, fds[0], 0, 0, 0, 0);
			errno = (int)-moved;
			return -1;
		}
		fds[1] = (int)moved;
	}
	return 0;
}

/* /bin/sh -c command, with the child's end theirs moved onto std. */
static int popen_spawn(const char *command, int theirs, int std,
		       const struct noleak_fdset *named, pid_t *pid)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)command, NULL };
	posix_spawn_file_actions_t fa;
	struct noleak_spawn_attr a = { 0 };
	int err = posix_spawn_file_actions_init(&fa);

	if (err)
		return err;
	err = posix_spawn_file_actions_adddup2(&fa, theirs, std);
	/* POSIX: the streams of earlier popen calls still open here are
	 * closed in the new child, as glibc's popen does (libio/iopopen.c,
	 * spawn_process).  Their descriptors are close-on-exec, but a child
	 * that named one, or a shell that kept it, would hold its reader's
	 * pipe open: pclose of the earlier stream would wait for this one. */
	for (int i = 0; i < POPEN_MAX && !err; i++) {
		FILE *other = __atomic_load_n(&popened[i].stream, __ATOMIC_ACQUIRE);
		int fd;

		if (!other || other == POPEN_CLAIMED)
			continue;
		fd = fileno(other);
		if (fd >= 0 && fd != std && fd != theirs)
			err = posix_spawn_file_actions_addclose(&fa, fd);
	}
	restore_in_child(&a);
	if (!err)
		err = noleak_spawn(pid, "/bin/sh", 0, &fa, &a, argv, environ,
				   named, 0, noleak_spawn_plan(),
				   report_name(command));
	posix_spawn_file_actions_destroy(&fa);
	return err;
}

static FILE *shim_popen(const char *command, const char *mode,
			const struct noleak_fdset *named, int slot, int *refused)
{
	int rd, cloexec, fds[2], err;
	FILE *f;
	pid_t pid;

	if (popen_mode(mode, &rd, &cloexec) < 0 || popen_pipe(rd, fds) < 0)
		return NULL;
	err = popen_spawn(command, fds[1], rd ? 1 : 0, named, &pid);
	noleak_raw(SYS_close, fds[1], 0, 0, 0, 0);
	if (err) {
		noleak_raw(SYS_close, fds[0], 0, 0, 0, 0);
		*refused = err == NOLEAK_SPAWN_REFUSED;
		errno = ENOMEM;		/* glibc's answer to any spawn failure */
		return NULL;
	}
	noleak_track_new(fds[0], !cloexec);
	f = fdopen(fds[0], rd ? "r" : "w");
	if (!f) {
		err = errno;
		noleak_raw(SYS_close, fds[0], 0, 0, 0, 0);
		wait_child(pid);
		errno = err;
		return NULL;
	}
	popened[slot].pid = pid;
	__atomic_store_n(&popened[slot].stream, f, __ATOMIC_RELEASE);
	return f;
}

NOLEAK_EXPORT FILE *popen(const char *command, const char *mode)
{
	NOLEAK_SITE(popen);
	__typeof__(popen) *next = NEXT_BOUND(popen);
	struct noleak_fdset named = { 0 };
	const char *m;
	char buf[16];
	FILE *f;

	if (!next) {
		errno = ENOSYS;
		return NULL;
	}
	if (!command || !mode || !acts_at_exec() || !noleak_text_readable(command) ||
	    !noleak_text_readable(mode))
		return next(command, mode);
	/* The shim's own popen while it has a slot to remember the child
	 * in and the kernel lets it clone; glibc's otherwise, after a sweep
	 * of this process's table (prepare_child did it when not usable). */
	if (prepare_child(&named, NULL, command, environ, command, NULL, NULL)) {
		int refused = 0, slot = popen_claim();

		if (slot >= 0) {
			f = shim_popen(command, mode, &named, slot, &refused);
			if (f)
				return f;
			popen_release(slot);
			if (!refused)
				return NULL;
		}
		noleak_sweep(&noleak_config.keep, &named);
	}
	/* Through glibc, which clears close-on-exec on its end of the pipe
	 * unless the mode has 'e': 'e' is added. */
	m = noleak_audit ? mode : noleak_mode_cloexec(mode, buf, sizeof(buf));
	f = next(command, m);
	if (f) {
		int saved = errno;

		noleak_track_new(fileno(f), m != mode);
		errno = saved;
	}
	return f;
}

/* glibc's own fclose, exported under its old name: for a call made while
 * this thread is still binding the next symbols. */
extern int _IO_fclose(FILE *f);

/* The next fclose (not the shim's exported one), to close a stream. */
static int close_stream(FILE *f)
{
	__typeof__(fclose) *next = NEXT_BOUND(fclose);

	if (next)
		return next(f);
	return _IO_fclose(f);
}

/* The status pclose and fclose return for a stream of the shim's popen:
 * glibc's (libio/fileops.c, _IO_new_file_close_it): the child's status
 * (the stream's close), or, when that is 0, the failure of the stream's
 * last flush (EPIPE from a child that has gone), with its errno. */
static int popen_close(FILE *f, pid_t pid)
{
	int ret, err, status;

	ret = close_stream(f);
	err = errno;
	status = wait_child(pid);
	if (status == 0 && ret != 0) {
		errno = err;
		return ret;
	}
	return status;
}

/* fileno of a stream about to be closed: what the shim recorded of its
 * descriptor goes with it. */
static void stream_closing(FILE *f)
{
	int saved = errno;

	if (f)
		noleak_fd_closed(fileno(f));
	errno = saved;
}

NOLEAK_EXPORT int pclose(FILE *f)
{
	__typeof__(pclose) *next;
	pid_t pid = popen_take(f);

	stream_closing(f);
	if (pid > 0)
		return popen_close(f, pid);
	next = NEXT_BOUND(pclose);
	if (!next)
		return fail_nosys();
	return next(f);
}

/* glibc's fclose of a popen stream waits for its child (libio/iopopen.c,
 * _IO_new_proc_close): so does the shim's, for its own streams. */
NOLEAK_EXPORT int fclose(FILE *f)
{
	pid_t pid = popen_take(f);

	stream_closing(f);
	/* glibc's fclose of a popen stream returns the child's status
	 * (_IO_new_proc_close), as pclose does. */
	if (pid > 0)
		return popen_close(f, pid);
	return close_stream(f);
}

/* ---- posix_spawn ----------------------------------------------------- */

typedef int spawn_fn(pid_t *, const char *, const posix_spawn_file_actions_t *,
		     const posix_spawnattr_t *, char *const[], char *const[]);

static int do_spawn(spawn_fn *next, int xflags, pid_t *pid, const char *path,
		    const posix_spawn_file_actions_t *actions,
		    const posix_spawnattr_t *attr, char *const argv[],
		    char *const envp[])
{
	struct noleak_fdset named = { 0 };
	struct noleak_spawn_attr a;
	posix_spawnattr_t mine;
	int helper, ret;

	if (!next)
		return ENOSYS;	/* posix_spawn returns the error number */
	/* Arguments that cannot be read are glibc's to answer, exactly as
	 * without the shim. */
	if (!path || !argv || !acts_at_exec() || !noleak_text_readable(path) ||
	    !noleak_args_readable(argv, envp))
		return next(pid, path, actions, attr, argv, envp);
	helper = is_fd_closing_helper(path);
	noleak_spawn_attr_read(attr, &a);
	restore_in_child(&a);
	if (prepare_child(&named, argv, NULL, envp,
			  argv && argv[0] ? argv[0] : path, actions, attr)) {
		ret = noleak_spawn(pid, path, xflags, actions, &a, argv, envp,
				   &named, helper, noleak_spawn_plan(),
				   report_name(argv && argv[0] ? argv[0] : path));
		if (ret != NOLEAK_SPAWN_REFUSED)
			return ret;
		/* The kernel refused clone: glibc's way, after a sweep here. */
		noleak_sweep(&noleak_config.keep, &named);
	}
	{
		/* Through glibc, the child still gets the signals of start-up
		 * (NOLEAK_SIGNALS=restore), through the attributes. */
		unsigned plan = noleak_spawn_plan();
		size_t need = noleak_env_stack(envp, plan);
		char stack[need ? need : 1] __attribute__((aligned(16)));
		struct noleak_newenv ne;

		noleak_env_prepare(&ne, plan, envp, need ? stack : NULL, need);
		ret = next(pid, path, actions,
			   noleak_spawn_attr_write(attr, &a, &mine), argv, ne.env);
		noleak_env_release(&ne);
		return ret;
	}
}

/* Where glibc has two versions of posix_spawn and posix_spawnp (x86_64:
 * GLIBC_2.2.5 and GLIBC_2.15), the old one falls back to /bin/sh when the
 * file has no #! line (posix/spawn.c, SPAWN_XFLAGS_TRY_SHELL).  A program
 * linked against it must keep that behaviour, so both versions are
 * provided and each forwards to its own counterpart. */
#ifdef NOLEAK_SPAWN_COMPAT
#define SPAWN_NAME(name, suffix) noleak_##name##_##suffix
__asm__(".symver noleak_posix_spawn_default, posix_spawn@@GLIBC_2.15");
__asm__(".symver noleak_posix_spawnp_default, posix_spawnp@@GLIBC_2.15");
__asm__(".symver noleak_posix_spawn_compat, posix_spawn@GLIBC_2.2.5");
__asm__(".symver noleak_posix_spawnp_compat, posix_spawnp@GLIBC_2.2.5");
__typeof__(posix_spawn) noleak_posix_spawn_default, noleak_posix_spawn_compat;
__typeof__(posix_spawnp) noleak_posix_spawnp_default, noleak_posix_spawnp_compat;
#else
#define SPAWN_NAME(name, suffix) name
#endif

NOLEAK_EXPORT int SPAWN_NAME(posix_spawn, default)(pid_t *pid, const char *path,
	const posix_spawn_file_actions_t *actions,
	const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return do_spawn(NEXT_BOUND(posix_spawn), 0, pid, path, actions, attr,
			argv, envp);
}

NOLEAK_EXPORT int SPAWN_NAME(posix_spawnp, default)(pid_t *pid,
	const char *file, const posix_spawn_file_actions_t *actions,
	const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return do_spawn(NEXT_BOUND(posix_spawnp), NOLEAK_SPAWN_USE_PATH, pid,
			file, actions, attr, argv, envp);
}

#ifdef NOLEAK_SPAWN_COMPAT
NOLEAK_EXPORT int noleak_posix_spawn_compat(pid_t *pid, const char *path,
	const posix_spawn_file_actions_t *actions,
	const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	noleak_next_bind();
	return do_spawn(NEXT(posix_spawn_compat), NOLEAK_SPAWN_TRY_SHELL, pid,
			path, actions, attr, argv, envp);
}

NOLEAK_EXPORT int noleak_posix_spawnp_compat(pid_t *pid, const char *file,
	const posix_spawn_file_actions_t *actions,
	const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	noleak_next_bind();
	return do_spawn(NEXT(posix_spawnp_compat),
			NOLEAK_SPAWN_USE_PATH | NOLEAK_SPAWN_TRY_SHELL, pid, file,
			actions, attr, argv, envp);
}
#endif
