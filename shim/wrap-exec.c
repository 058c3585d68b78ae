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
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* The process scope rewrites a child's environment on the caller's stack
 * (an exec may run in a vfork child, on a small stack, where nothing may be
 * allocated): the new array of pointers and the new LD_PRELOAD together get
 * at most this many bytes, which is some 80 variables.  A larger
 * environment is passed on as it is, and the child loads the library and
 * stays dormant in it.  (system, popen and posix_spawn rewrite it on the
 * stack they map for their child, whatever its size: spawn.c.) */
enum { ENV_REWRITE_BUDGET = 704 };

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

/* A report describes each descriptor and where it was made, which takes
 * some kilobytes of stack; the caller's (a vfork child's, a thread's small
 * one, a crash handler's sigaltstack) may not have them.  So it runs on a
 * stack of its own, mapped for the moment and unmapped before the exec: in
 * a vfork child the mapping lands in the parent, and is gone again before
 * the parent resumes.  Where no stack can be mapped, the lines are dropped:
 * a report is never worth a crash. */
enum { REPORT_STACK = 32 * 1024 };

struct report_job {
	const struct noleak_fdset *named;
	const char *program;
};

NOLEAK_ASYNC_SAFE static void report_on(void *arg)
{
	const struct report_job *job = arg;

	noleak_sweep_audit(&noleak_config.keep, job->named, noleak_config.name,
			   noleak_config.self, job->program, !noleak_audit);
}

NOLEAK_ASYNC_SAFE static void report(const struct noleak_fdset *named,
				     const char *program)
{
	struct report_job job = { named, program };
	long stack = noleak_raw(SYS_mmap, 0, REPORT_STACK,
				PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1);

	if (stack < 0 && stack > -4096)
		return;
	noleak_call_on_stack(report_on, &job, (void *)(stack + REPORT_STACK));
	noleak_raw(SYS_munmap, stack, REPORT_STACK, 0, 0, 0);
}

/* The rest of what every way of starting a program keeps, after what it
 * names itself: the jobserver of envp (when it is a pipe) and the keep
 * list's resources.  Then the report (audit, or a log set) and the sweep
 * (unless audit).  program is what the report says is being started. */
static void sweep_named(struct noleak_fdset *named, char *const envp[],
			const char *program)
{
	size_t from = named->n;

	noleak_fds_in_makeflags(envp, named);
	noleak_keep_pipes(named, from);
	noleak_keep_resources(&noleak_config.keep, named);
	if (noleak_audit || noleak_log_set)
		report(named, program);
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

/* Whether argv and envp can be read to their ends.  Not inlined: its
 * bookkeeping must be off the stack before the sweep runs. */
NOLEAK_ASYNC_SAFE __attribute__((noinline))
static int args_readable(char *const argv[], char *const envp[])
{
	struct readable r = { 0, { 0 }, 0 };

	return vec_count(&r, argv) >= 0 && vec_count(&r, envp) >= 0;
}

/* Whether the string s can be read to its end. */
__attribute__((noinline)) static int text_readable(const char *s)
{
	struct readable r = { 0, { 0 }, 0 };

	return string_readable(&r, UNTRUSTED(s));
}

/* Whether path is readable and empty (execveat's AT_EMPTY_PATH). */
NOLEAK_ASYNC_SAFE __attribute__((noinline))
static int path_empty(const char *path)
{
	struct readable r = { 0, { 0 }, 0 };
	const char *p = UNTRUSTED(path);

	return readable(&r, p) && !*p;
}

void noleak_exec_sweep(char *const argv[], char *const envp[], int fd_to_run,
		       long pid)
{
	struct noleak_fdset named = { 0 };

	if (!sweeps())
		return;
	/* The kernel will answer EFAULT and nothing starts: nothing to
	 * protect, and nothing the shim could read. */
	argv = UNTRUSTED(argv);
	envp = UNTRUSTED(envp);
	if (!args_readable(argv, envp))
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

/* The bytes a rewrite of envp needs on the stack, or 0 when it exceeds
 * ENV_REWRITE_BUDGET or cannot be read (the kernel will refuse it);
 * *envc gets the number of variables, *plen the size of LD_PRELOAD's entry
 * with its NUL. */
static size_t env_rewrite_size(char *const *envp, size_t *envc, size_t *plen)
{
	struct readable r = { 0, { 0 }, 0 };
	long count = vec_count(&r, envp);
	size_t n = 0, bytes;

	*plen = 1;
	if (count < 0 || (size_t)count > ENV_REWRITE_BUDGET / sizeof(char *))
		return 0;
	envp = UNTRUSTED(envp);
	for (; envp && envp[n]; n++)
		if (!strncmp(envp[n], "LD_PRELOAD=", 11))
			*plen = strlen(envp[n]) + 1;
	*envc = n;
	bytes = (n + 1) * sizeof(char *) + *plen;
	return bytes <= ENV_REWRITE_BUDGET ? bytes : 0;
}

/* In the process scope, a program started by anything but an exec in
 * place of the owner runs without the shim.  in_child says whether the new
 * program gets a process of its own (posix_spawn) rather than this one. */
static int strip_preload(int in_child)
{
	return noleak_config.scope == NOLEAK_SCOPE_PROCESS &&
	       (in_child || my_pid() != noleak_config.owner);
}

/* Declare the buffers for a rewritten environment of envp, within
 * ENV_REWRITE_BUDGET, and make newenv the environment to pass on. */
#define NEW_ENV(envp, newenv, in_child)                                      \
	size_t envc_ = 0, plen_ = 1;                                         \
	int strip_ = strip_preload(in_child) &&                              \
		     env_rewrite_size((envp), &envc_, &plen_) > 0;          \
	char *envbuf_[strip_ ? envc_ + 1 : 1];                               \
	char preload_[strip_ ? plen_ : 1];                                   \
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

	/* The program to run is dirfd itself only for an empty path; a NULL
	 * or unreadable one is the kernel's to refuse. */
	int empty = (flags & AT_EMPTY_PATH) && path_empty(path);

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

/* ---- fork -------------------------------------------------------------- */

/* fork copies the descriptor table and never sweeps: a child that does not
 * exec (a prefork worker) needs everything, and one that does sweeps then,
 * in its own table. */
static void system_after_fork(void);

NOLEAK_EXPORT pid_t fork(void)
{
	__typeof__(fork) *next = NEXT_BOUND(fork);
	pid_t pid;

	if (!next)
		return fail_nosys();
	pid = next();
	if (pid == 0)
		system_after_fork();
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

	return !strcmp(slash ? slash + 1 : path, "jspawnhelper");
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
	const char *prev = NULL, *prev_end = NULL;
	int usable;

	if (argv)
		noleak_fds_in_args(argv, named);
	else
		noleak_fds_in_words(command, named, &prev, &prev_end);
	/* The child's pid is not known yet: LISTEN_PID is not checked. */
	noleak_fds_in_env(envp, 0, named);
	usable = !noleak_audit && noleak_spawn_usable(actions, attr);
	if (usable) {
		size_t from = named->n;

		noleak_fds_in_makeflags(envp, named);
		noleak_keep_pipes(named, from);
		noleak_keep_resources(&noleak_config.keep, named);
	} else {
		sweep_named(named, envp, program);
	}
	return usable;
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

	if (noleak_dormant || !noleak_config.restore_signals)
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
static struct kernel_sigaction system_intr, system_quit;

static void system_after_fork(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

	system_lock = fresh;
	system_refs = 0;
}

static void set_action(int sig, const struct kernel_sigaction *act,
		       struct kernel_sigaction *old)
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
	static const struct kernel_sigaction ign = { (void *)SIG_IGN, 0, NULL, 0 };
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
			   0, strip_preload(1), report_name(command));
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
	if (!command || !sweeps() || !text_readable(command) ||
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
static FILE *shim_popen(const char *command, const char *mode,
			const struct noleak_fdset *named, int slot, int *refused)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)command, NULL };
	int rd = 0, wr = 0, cloexec = 0, fds[2], mine, theirs, std, err;
	posix_spawn_file_actions_t fa;
	struct noleak_spawn_attr a = { 0 };
	FILE *f;
	pid_t pid;

	for (const char *m = mode; *m; m++) {
		if (*m == 'r')
			rd = 1;
		else if (*m == 'w')
			wr = 1;
		else if (*m == 'e')
			cloexec = 1;
		else
			rd = wr = 1;	/* an unknown letter: EINVAL below */
	}
	if (rd == wr) {
		errno = EINVAL;
		return NULL;
	}
	if (noleak_raw_result(noleak_raw(SYS_pipe2, (long)fds, O_CLOEXEC, 0, 0, 0)) < 0)
		return NULL;
	mine = rd ? fds[0] : fds[1];
	theirs = rd ? fds[1] : fds[0];
	std = rd ? 1 : 0;
	if (theirs == std) {	/* must not be the number it is moved onto */
		long moved = noleak_raw(SYS_fcntl, theirs, F_DUPFD_CLOEXEC, 3, 0, 0);

		noleak_raw(SYS_close, theirs, 0, 0, 0, 0);
		if (moved < 0) {
			noleak_raw(SYS_close, mine, 0, 0, 0, 0);
			errno = (int)-moved;
			return NULL;
		}
		theirs = (int)moved;
	}
	err = posix_spawn_file_actions_init(&fa);
	if (!err) {
		err = posix_spawn_file_actions_adddup2(&fa, theirs, std);
		restore_in_child(&a);
		if (!err)
			err = noleak_spawn(&pid, "/bin/sh", 0, &fa, &a, argv,
					   environ, named, 0, strip_preload(1),
					   report_name(command));
		posix_spawn_file_actions_destroy(&fa);
	}
	noleak_raw(SYS_close, theirs, 0, 0, 0, 0);
	if (err) {
		noleak_raw(SYS_close, mine, 0, 0, 0, 0);
		*refused = err == NOLEAK_SPAWN_REFUSED;
		errno = ENOMEM;		/* glibc's answer to any spawn failure */
		return NULL;
	}
	noleak_created(mine, !cloexec);
	f = fdopen(mine, rd ? "r" : "w");
	if (!f) {
		err = errno;
		noleak_raw(SYS_close, mine, 0, 0, 0, 0);
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
	if (!command || !mode || !sweeps() || !text_readable(command) ||
	    !text_readable(mode))
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

		noleak_created(fileno(f), m != mode);
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

	return (next ? next : _IO_fclose)(f);
}

NOLEAK_EXPORT int pclose(FILE *f)
{
	__typeof__(pclose) *next;
	pid_t pid = popen_take(f);

	if (pid > 0) {
		close_stream(f);
		return wait_child(pid);
	}
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
	int ret = close_stream(f);

	/* glibc's fclose of a popen stream returns the child's status
	 * (_IO_new_proc_close), as pclose does. */
	if (pid > 0)
		return wait_child(pid);
	return ret;
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
	if (!path || !argv || !sweeps() || !text_readable(path) ||
	    !args_readable(argv, envp))
		return next(pid, path, actions, attr, argv, envp);
	helper = is_fd_closing_helper(path);
	noleak_spawn_attr_read(attr, &a);
	restore_in_child(&a);
	if (prepare_child(&named, argv, NULL, envp,
			  argv && argv[0] ? argv[0] : path, actions, attr)) {
		ret = noleak_spawn(pid, path, xflags, actions, &a, argv, envp,
				   &named, helper, strip_preload(1),
				   report_name(argv && argv[0] ? argv[0] : path));
		if (ret != NOLEAK_SPAWN_REFUSED)
			return ret;
		/* The kernel refused clone: glibc's way, after a sweep here. */
		noleak_sweep(&noleak_config.keep, &named);
	}
	{
		/* Through glibc, the child still gets the signals of start-up
		 * (NOLEAK_SIGNALS=restore), through the attributes. */
		NEW_ENV(envp, env, 1);
		return next(pid, path, actions,
			    noleak_spawn_attr_write(attr, &a, &mine), argv, env);
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
