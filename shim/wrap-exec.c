/* wrap-exec.c: fork execve execv execvp execvpe execl execlp execle
 * fexecve execveat system popen posix_spawn posix_spawnp.
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
 * give us no code in the child, so they sweep the parent: what gets marked
 * there is by definition a descriptor nobody meant to pass on.
 *
 * Before a new program starts, in this order:
 *  - the sweep, keeping what the new program is told about by number (its
 *    command line, the hand-over variables of its environment: policy.c);
 *  - in the process scope, the shim is taken out of the child's LD_PRELOAD
 *    (an exec in place by the process noleak started keeps it);
 *  - with NOLEAK_SIGNALS=restore, signals ignored since start-up go back
 *    to their default and the blocked mask to the start-up one.
 * An exec that fails puts the signals back as they were.
 *
 * vfork is not wrapped: a C wrapper would return twice through one stack
 * frame.  The sweep happens in the exec the vfork child must call. */
#include "noleak.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* The process scope rewrites a child's environment on the stack (an exec
 * may run in a vfork child, where nothing may be allocated): at most this
 * many variables, 64 KiB of pointers.  A larger environment is passed on as
 * it is, and the child loads the library and stays dormant in it. */
enum { ENV_REWRITE_MAX = 8192, PRELOAD_MAX = 4096 };

static int fail_nosys(void)
{
	errno = ENOSYS;
	return -1;
}

static long my_pid(void)
{
	return noleak_raw(SYS_getpid, 0, 0, 0, 0, 0);
}

/* Whether this process sweeps (or, in audit, reports) at all. */
static int sweeps(void)
{
	noleak_init();
	return !noleak_dormant || noleak_audit;
}

/* The rest of what every way of starting a program keeps, after what it
 * names itself: the jobserver of envp (when it is a pipe) and the keep
 * list's resources.  Then the report (audit, or a log set) and the sweep
 * (unless audit).  program is what the report says is being started. */
static void sweep_named(struct noleak_fdset *named, char *const envp[],
			const char *program)
{
	struct noleak_fdset jobserver = { 0 };

	noleak_fds_in_makeflags(envp, &jobserver);
	noleak_keep_pipes(&jobserver, named);
	noleak_keep_resources(&noleak_config.keep, named);
	if (noleak_audit || noleak_log_set)
		noleak_sweep_audit(&noleak_config.keep, named, noleak_config.name,
				   noleak_config.self, program, !noleak_audit);
	if (!noleak_audit)
		noleak_sweep(&noleak_config.keep, named);
}

/* ---- arguments the kernel would refuse ------------------------------ */

/* An exec with a bad argv or envp (a pointer to nowhere, or to a string
 * that is not there) must get the kernel's own answer, EFAULT, not a crash
 * in the shim reading them first.  Only NULL is fine: Linux takes a NULL
 * argv or envp for an empty one.  Whether memory can be read is asked of
 * the kernel, and the 4 KiB chunks found readable are remembered for the
 * rest of one exec: a few system calls, nothing more, for arguments and
 * environment that are where they should be. */
enum { CHUNK = 4096, READABLE_SEEN = 8 };

struct readable {
	long pid;				/* 0 until first needed */
	unsigned long seen[READABLE_SEEN];	/* chunk numbers + 1 */
	unsigned next;
};

/* Whether the byte at p, and so the chunk holding it, can be read: one
 * byte copied by process_vm_readv from this very process, which answers
 * EFAULT where a plain read would fault (mm/process_vm_access.c; a
 * process may always read itself, kernel/ptrace.c).  The byte is one the
 * caller is about to read anyway, so memory checkers see nothing odd.  Any
 * other failure (a seccomp filter) is taken as readable: the shim then
 * reads as it always did. */
NOLEAK_ASYNC_SAFE static int readable(struct readable *r, const void *p)
{
	unsigned long chunk = (unsigned long)p / CHUNK;
	char byte;
	struct iovec local = { &byte, 1 }, remote = { (void *)p, 1 };

	if (chunk == 0)		/* never mapped */
		return 0;
	for (unsigned i = 0; i < READABLE_SEEN; i++)
		if (r->seen[i] == chunk + 1)
			return 1;
	if (!r->pid)
		r->pid = my_pid();
	if (noleak_raw(SYS_process_vm_readv, r->pid, (long)&local, 1,
		       (long)&remote, 1) == -EFAULT)
		return 0;
	r->seen[r->next++ % READABLE_SEEN] = chunk + 1;
	return 1;
}

/* Whether the string s can be read to its end. */
NOLEAK_ASYNC_SAFE static int string_readable(struct readable *r, const char *s)
{
	for (;;) {
		unsigned long end = ((unsigned long)s / CHUNK + 1) * CHUNK;

		if (!readable(r, s))
			return 0;
		for (; (unsigned long)s < end; s++)
			if (!*s)
				return 1;
	}
}

/* p, which the compiler may no longer assume is not NULL: glibc declares
 * the arguments of the exec family nonnull, and after inlining, GCC would
 * drop the very checks that make a NULL one safe. */
#define UNTRUSTED(p) ({ __typeof__(p) p_ = (p); __asm__("" : "+r"(p_)); p_; })

/* The number of entries of vec (NULL: 0), or -1 when it, or one of its
 * strings, cannot be read. */
NOLEAK_ASYNC_SAFE static long vec_count(struct readable *r, char *const *vec)
{
	long n = 0;

	vec = UNTRUSTED(vec);
	for (; vec; vec++, n++) {
		/* The slot itself, both ends, should it straddle two chunks. */
		if (!readable(r, vec) || !readable(r, (const char *)(vec + 1) - 1))
			return -1;
		if (!*vec)
			break;
		if (!string_readable(r, *vec))
			return -1;
	}
	return n;
}

void noleak_exec_sweep(char *const argv[], char *const envp[], int fd_to_run,
		       long pid)
{
	struct noleak_fdset named = { 0 };
	struct readable r = { 0, { 0 }, 0 };

	if (!sweeps())
		return;
	/* The kernel will answer EFAULT and nothing starts: nothing to
	 * protect, and nothing the shim could read. */
	argv = UNTRUSTED(argv);
	envp = UNTRUSTED(envp);
	if (vec_count(&r, argv) < 0 || vec_count(&r, envp) < 0)
		return;
	noleak_fds_in_args(argv, &named);
	noleak_fds_in_env(envp, pid, &named);
	if (fd_to_run >= 3 && named.n < NOLEAK_FDSET_MAX)
		named.fd[named.n++] = fd_to_run;
	/* An exec in place (not in a child) is still the same process: the
	 * file locks it holds stay held, as setlock-style programs expect. */
	if (pid == noleak_config.self)
		noleak_locked_fds(&named);
	sweep_named(&named, envp, argv && argv[0] ? argv[0] : "a program");
}

/* ---- signals --------------------------------------------------------- */

struct sigsave {
	unsigned long reset;	/* set to default here, bit s-1 */
	unsigned long mask;	/* the mask before */
	int changed;
};

NOLEAK_ASYNC_SAFE static void set_handlers(unsigned long set, void *handler)
{
	struct kernel_sigaction act = { handler, 0, NULL, 0 };

	for (int sig = 1; sig <= 64; sig++)
		if ((set >> (sig - 1)) & 1)
			noleak_raw(SYS_rt_sigaction, sig, (long)&act, 0, 8, 0);
}

NOLEAK_ASYNC_SAFE static void restore_signals(struct sigsave *save)
{
	save->changed = !noleak_dormant && noleak_config.restore_signals;
	if (!save->changed)
		return;
	save->reset = noleak_sig_ignored_since_start();
	set_handlers(save->reset, (void *)SIG_DFL);
	noleak_raw(SYS_rt_sigprocmask, SIG_SETMASK,
		   (long)&noleak_config.mask_at_start, (long)&save->mask, 8, 0);
}

/* The exec failed: this process goes on as it was. */
NOLEAK_ASYNC_SAFE static void undo_signals(const struct sigsave *save)
{
	if (!save->changed)
		return;
	set_handlers(save->reset, (void *)SIG_IGN);
	noleak_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&save->mask, 0, 8, 0);
}

/* ---- the environment of the new program ------------------------------ */

/* The number of variables in envp, or ENV_REWRITE_MAX (passed on as it
 * is) when it cannot be read: the kernel will refuse it anyway. */
static size_t env_count(char *const *envp)
{
	struct readable r = { 0, { 0 }, 0 };
	long n = vec_count(&r, envp);

	return n < 0 || n > ENV_REWRITE_MAX ? ENV_REWRITE_MAX : (size_t)n;
}

/* In the process scope, a program started by anything but an exec in
 * place of the owner runs without the shim.  in_child says whether the new
 * program gets a process of its own (posix_spawn) rather than this one. */
static int strip_preload(int in_child)
{
	return noleak_config.scope == NOLEAK_SCOPE_PROCESS &&
	       (in_child || my_pid() != noleak_config.owner);
}

/* Declare the buffers for a rewritten environment of envp, and make
 * newenv the environment to pass on. */
#define NEW_ENV(envp, newenv, in_child)                                      \
	size_t envc_ = strip_preload(in_child) ? env_count(envp) : ENV_REWRITE_MAX; \
	int strip_ = envc_ < ENV_REWRITE_MAX;                                \
	char *envbuf_[strip_ ? envc_ + 1 : 1];                               \
	char preload_[strip_ ? PRELOAD_MAX : 1];                             \
	char *const *newenv = (envp);                                        \
	if (strip_) {                                                        \
		noleak_env_strip((envp), noleak_config.libbase, envbuf_,     \
				 envc_ + 1, preload_, sizeof(preload_));     \
		newenv = envbuf_;                                            \
	}

/* ---- the exec family ------------------------------------------------- */

static int do_execve(const char *path, char *const argv[], char *const envp[])
{
	__typeof__(execve) *next = NEXT(execve);
	struct sigsave save;
	int ret;

	noleak_exec_sweep(argv, envp, -1, my_pid());
	NEW_ENV(envp, env, 0);
	restore_signals(&save);
	ret = next ? next(path, argv, env)
		   : (int)noleak_raw_result(noleak_raw(SYS_execve, (long)path,
						(long)argv, (long)env, 0, 0));
	undo_signals(&save);
	return ret;
}

static int do_execvpe(const char *file, char *const argv[], char *const envp[])
{
	__typeof__(execvpe) *next = NEXT_BOUND(execvpe);
	struct sigsave save;
	int ret;

	noleak_exec_sweep(argv, envp, -1, my_pid());
	NEW_ENV(envp, env, 0);
	restore_signals(&save);
	ret = next ? next(file, argv, env) : fail_nosys();
	undo_signals(&save);
	return ret;
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
 * execle, an environment after it).  They are gathered into an array on the
 * stack, as glibc does, and handed to the matching array form. */
#define GATHER_ARGS(first, argv, after)                                 \
	size_t argc_ = 1;                                               \
	va_list ap_;                                                    \
	va_start(ap_, first);                                           \
	while (va_arg(ap_, char *))                                     \
		argc_++;                                                \
	va_end(ap_);                                                    \
	char *argv[argc_ + 1];                                          \
	va_start(ap_, first);                                           \
	argv[0] = (char *)(first);                                      \
	for (size_t i_ = 1; i_ <= argc_; i_++)                          \
		argv[i_] = va_arg(ap_, char *);                         \
	after;                                                          \
	va_end(ap_)

NOLEAK_EXPORT int execl(const char *path, const char *arg, ...)
{
	GATHER_ARGS(arg, argv, (void)0);
	return do_execve(path, argv, environ);
}

NOLEAK_EXPORT int execlp(const char *file, const char *arg, ...)
{
	GATHER_ARGS(arg, argv, (void)0);
	return do_execvpe(file, argv, environ);
}

NOLEAK_EXPORT int execle(const char *path, const char *arg, ...)
{
	char **envp;

	GATHER_ARGS(arg, argv, envp = va_arg(ap_, char **));
	return do_execve(path, argv, envp);
}

/* fexecve of a script makes the interpreter open /dev/fd/N, so fd must
 * survive the exec; the sweep keeps it, and takes off a close-on-exec flag
 * the shim put there (execveat(2), BUGS). */
NOLEAK_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	__typeof__(fexecve) *next = NEXT_BOUND(fexecve);
	struct sigsave save;
	int ret;

	noleak_exec_sweep(argv, envp, fd, my_pid());
	NEW_ENV(envp, env, 0);
	restore_signals(&save);
	ret = next ? next(fd, argv, env) : fail_nosys();
	undo_signals(&save);
	return ret;
}

NOLEAK_EXPORT int execveat(int dirfd, const char *path, char *const argv[],
			   char *const envp[], int flags)
{
	__typeof__(execveat) *next = NEXT(execveat);
	struct sigsave save;
	int ret;

	struct readable r = { 0, { 0 }, 0 };
	/* The program to run is dirfd itself only for an empty path; a NULL
	 * or unreadable one is the kernel's to refuse. */
	const char *p = UNTRUSTED(path);
	int empty = (flags & AT_EMPTY_PATH) && readable(&r, p) && !*p;

	noleak_exec_sweep(argv, envp, empty ? dirfd : -1, my_pid());
	NEW_ENV(envp, env, 0);
	restore_signals(&save);
	ret = next ? next(dirfd, path, argv, env, flags)
		   : (int)noleak_raw_result(noleak_raw(SYS_execveat, dirfd,
						(long)path, (long)argv,
						(long)env, flags));
	undo_signals(&save);
	return ret;
}

/* ---- fork, system, popen --------------------------------------------- */

/* fork copies the descriptor table, so it takes the spawner side of the
 * fork lock (forklock.c) and never sweeps: a child that does not exec
 * (a prefork worker) needs everything, and one that does sweeps then. */
NOLEAK_EXPORT pid_t fork(void)
{
	__typeof__(fork) *next = NEXT_BOUND(fork);
	int took;
	pid_t pid;

	if (!next)
		return fail_nosys();
	took = noleak_spawner_lock();
	pid = next();
	if (pid == 0) {
		noleak_forklock_child();
		return 0;
	}
	noleak_spawner_unlock(took);
	return pid;
}

/* system and popen give no access to the child, whose environment is this
 * process's (the shell they start finds itself outside the process scope
 * and stays dormant).  They sweep the parent, keeping what the command
 * names by number, then copy its table into the child: the spawner side of
 * the fork lock keeps a composite creator in another thread from slipping
 * a descriptor in between. */
static void sweep_for_command(const char *command)
{
	struct noleak_fdset named = { 0 };
	const char *prev = NULL, *prev_end = NULL;

	if (!sweeps())
		return;
	noleak_fds_in_words(command, &named, &prev, &prev_end);
	noleak_fds_in_env(environ, 0, &named);
	sweep_named(&named, environ, command);
}

NOLEAK_EXPORT int system(const char *command)
{
	__typeof__(system) *next = NEXT_BOUND(system);
	int took, ret;

	if (!next)
		return fail_nosys();
	if (!command)		/* system(NULL) only asks for a shell */
		return next(command);
	took = noleak_spawner_lock();
	sweep_for_command(command);
	ret = next(command);
	noleak_spawner_unlock(took);
	return ret;
}

/* popen clears close-on-exec on its end of the pipe unless the mode has 'e'
 * (libio/iopopen.c), so later children would inherit it: 'e' is added. */
NOLEAK_EXPORT FILE *popen(const char *command, const char *mode)
{
	NOLEAK_SITE(popen);
	__typeof__(popen) *next = NEXT_BOUND(popen);
	char buf[16];
	const char *m = noleak_dormant ? mode
				       : noleak_mode_cloexec(mode, buf, sizeof(buf));
	FILE *f;
	int took;

	if (!next) {
		errno = ENOSYS;
		return NULL;
	}
	took = noleak_spawner_lock();
	sweep_for_command(command);
	f = next(command, m);
	noleak_spawner_unlock(took);
	if (f) {
		int saved = errno;

		noleak_created(fileno(f), m != mode);
		errno = saved;
	}
	return f;
}

/* ---- posix_spawn ----------------------------------------------------- */

typedef int spawn_fn(pid_t *, const char *, const posix_spawn_file_actions_t *,
		     const posix_spawnattr_t *, char *const[], char *const[]);

/* The child's signals, given through the attributes: the caller's own
 * settings win, ours fill in what it left alone. */
static const posix_spawnattr_t *spawn_signals(const posix_spawnattr_t *attr,
					      posix_spawnattr_t *mine)
{
	unsigned long reset;
	short flags = 0;
	sigset_t set;

	if (noleak_dormant || !noleak_config.restore_signals)
		return attr;
	reset = noleak_sig_ignored_since_start();
	if (attr)
		*mine = *attr;	/* plain data in glibc: flags, sets, policy */
	else
		posix_spawnattr_init(mine);
	posix_spawnattr_getflags(mine, &flags);
	if (reset) {
		if (flags & POSIX_SPAWN_SETSIGDEF)
			posix_spawnattr_getsigdefault(mine, &set);
		else
			sigemptyset(&set);
		for (int sig = 1; sig <= 64; sig++)
			if ((reset >> (sig - 1)) & 1)
				sigaddset(&set, sig);
		posix_spawnattr_setsigdefault(mine, &set);
		flags |= POSIX_SPAWN_SETSIGDEF;
	}
	if (!(flags & POSIX_SPAWN_SETSIGMASK)) {
		sigemptyset(&set);
		for (int sig = 1; sig <= 64; sig++)
			if ((noleak_config.mask_at_start >> (sig - 1)) & 1)
				sigaddset(&set, sig);
		posix_spawnattr_setsigmask(mine, &set);
		flags |= POSIX_SPAWN_SETSIGMASK;
	}
	posix_spawnattr_setflags(mine, flags);
	return mine;
}

/* The JDK starts every process through its jspawnhelper, telling it three
 * descriptor numbers and expecting it to find (and close) more: the
 * parent's ends of its pipes.  The helper marks or closes every
 * descriptor itself before it execs the real program
 * (java.base/unix/native/libjava/childproc.c), so it gets exactly what it
 * would get without the shim. */
static int is_fd_closing_helper(const char *path)
{
	const char *slash = strrchr(path, '/');

	return !strcmp(slash ? slash + 1 : path, "jspawnhelper");
}

static int do_spawn(spawn_fn *next, pid_t *pid, const char *path,
		    const posix_spawn_file_actions_t *actions,
		    const posix_spawnattr_t *attr, char *const argv[],
		    char *const envp[])
{
	unsigned long undo[NOLEAK_ADDED_MAX / (8 * sizeof(unsigned long))];
	posix_spawnattr_t mine;
	int took, ret, helper;

	if (!next)
		return ENOSYS;	/* posix_spawn returns the error number */
	took = noleak_spawner_lock();
	helper = !noleak_dormant && is_fd_closing_helper(path);
	if (helper)
		noleak_added_clear_all(undo);
	else	/* the child's pid is not known: LISTEN_PID is not checked */
		noleak_exec_sweep(argv, envp, -1, 0);
	{
		NEW_ENV(envp, env, 1);
		ret = next(pid, path, actions, spawn_signals(attr, &mine),
			   argv, env);
	}
	if (helper)
		noleak_added_restore(undo);
	noleak_spawner_unlock(took);
	return ret;
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
	return do_spawn(NEXT_BOUND(posix_spawn), pid, path, actions, attr,
			argv, envp);
}

NOLEAK_EXPORT int SPAWN_NAME(posix_spawnp, default)(pid_t *pid,
	const char *file, const posix_spawn_file_actions_t *actions,
	const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return do_spawn(NEXT_BOUND(posix_spawnp), pid, file, actions, attr,
			argv, envp);
}

#ifdef NOLEAK_SPAWN_COMPAT
NOLEAK_EXPORT int noleak_posix_spawn_compat(pid_t *pid, const char *path,
	const posix_spawn_file_actions_t *actions,
	const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	noleak_next_bind();
	return do_spawn(NEXT(posix_spawn_compat), pid, path, actions, attr,
			argv, envp);
}

NOLEAK_EXPORT int noleak_posix_spawnp_compat(pid_t *pid, const char *file,
	const posix_spawn_file_actions_t *actions,
	const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	noleak_next_bind();
	return do_spawn(NEXT(posix_spawnp_compat), pid, file, actions, attr,
			argv, envp);
}
#endif
