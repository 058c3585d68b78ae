/* SPDX-License-Identifier: MIT */
/* exec.c: what happens at every exec, in the async-signal-safe zone.
 *
 * The exec family (wrap-exec.c) may be called in the child of fork or of
 * vfork (sharing the parent's memory, on its stack), in a signal handler,
 * or in the child of a multi-threaded parent: everything here uses raw
 * system calls and the stack, or memory mapped for the moment and unmapped
 * before the caller can see it; it never allocates, locks, reads the
 * environment with getenv or binds a symbol.  The exported wrappers set
 * the library up (noleak_init) before they come here.
 *
 * Rn below is rule n of libnoleak(7), RULES AT A GLANCE.
 *
 * Before a new program starts, in this order:
 *  - the sweep, keeping what the new program is told about by number (its
 *    command line, the hand-over conventions of its environment: policy.c)
 *    and what the keep-list and the program's intent keep (sweep.c): R1-R9;
 *  - the new program's environment, as the scope says (exec_plan): R14,
 *    R15, R18;
 *  - with NOLEAK_SIGNALS=restore, in a child (never at an exec in place of
 *    the process the shim started in), signals it inherited ignored go back
 *    to their default and the blocked mask to the start-up one; what the
 *    child set up itself after its fork stays: R13.
 * An exec that fails puts the signals and the shim's flags back as they
 * were. */
#include "exec.h"
#include "describe.h"
#include "intent.h"
#include "log.h"
#include "raw.h"
#include "report.h"
#include "settings.h"
#include "signals.h"
#include "sweep.h"
#include "next.h"
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* The process scope rewrites a child's environment on the caller's stack
 * (an exec may run in a vfork child, on a small stack, where nothing may be
 * allocated): the new array of pointers and the new LD_PRELOAD together get
 * at most this many bytes, which is some 80 variables.  A larger
 * environment is passed on as it is, and the child loads the library and
 * stays dormant in it.  (system, popen and posix_spawn rewrite it on the
 * stack they map for their child, whatever its size: spawn.c.) */
enum { ENV_REWRITE_BUDGET = 704 };

/* A shell runs on its main stack, one thread, and its vfork children
 * (dash's) on that same stack: a shell passing protection to what it
 * starts may use this much, some 2000 variables, for an init script run
 * from a build or a login with a large environment. */
enum { ENV_REWRITE_BUDGET_SHELL = 16 * 1024 };

/* The room for the list of descriptors an exec of the daemon's own program
 * gets back (NOLEAK_ENV_REEXEC): ranges, so some hundreds of them at the
 * least; whatever does not fit reaches the new program as inherited. */
enum { REEXEC_LIST = 4096 };

static int fail_nosys(void)
{
	errno = ENOSYS;
	return -1;
}

static long my_pid(void)
{
	return noleak_raw(SYS_getpid, 0, 0, 0, 0, 0);
}

int noleak_acts_at_exec(void)
{
	return __atomic_load_n(&noleak_ready, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&noleak_sandboxed, __ATOMIC_ACQUIRE) &&
	       (!noleak_dormant || noleak_audit);
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
	unsigned how;
};

static void report_on(void *arg)
{
	const struct report_job *job = arg;

	noleak_report_strays(&noleak_config.keep, job->named, noleak_config.name,
			     noleak_config.self, job->program, job->how);
}

static void report(const struct noleak_fdset *named, const char *program,
		   int reload)
{
	struct report_job job = { named, program,
				  (noleak_audit ? 0 : NOLEAK_REPORT_ENFORCE) |
				  (reload ? NOLEAK_REPORT_RELOAD : 0) };

	noleak_on_own_stack(report_on, &job, REPORT_STACK);
}

/* ---- the one decision -------------------------------------------------- */

/* What reaches a program this process is about to start, decided the same
 * way for every path: the exec family, syscall(SYS_execve) and
 * syscall(SYS_execveat), wordexp's shell (noleak_exec_sweep), and the
 * library's own system, popen and posix_spawn (wrap-exec.c, whose child
 * sweeps).  The steps carry the numbers of libnoleak(7), WHAT SURVIVES
 * EXEC (R1-R9 of its RULES AT A GLANCE); R1, R2, R3 and R6 (0-2, the
 * program's own flags, its intent, what it inherited) are the sweep's,
 * read from intent.c, and R8 (the JDK's helper) is the spawned child's.
 * named gets what the new program is told about or must keep by number;
 * s says what is starting. */
void noleak_decide(struct noleak_fdset *named, const struct noleak_start *s)
{
	size_t from;

	/* R4. Named by the new program's command line (or a shell command's
	 * words), or by a hand-over convention of its environment; the file
	 * of fexecve. */
	if (s->argv)
		noleak_fds_in_args(s->argv, named);
	else if (s->command)
		noleak_fds_in_command(s->command, named);
	noleak_fds_in_env(s->envp, s->pid, named);
	if (s->fd_to_run >= 3 && named->n < NOLEAK_FDSET_MAX)
		named->fd[named->n++] = s->fd_to_run;
	/* R4. The jobserver of MAKEFLAGS, when its numbers are pipes. */
	from = named->n;
	noleak_fds_in_makeflags(s->envp, named);
	noleak_keep_pipes(named, from);
	/* R5. The keep-list's resources (its numbers are the sweep's). */
	noleak_keep_resources(&noleak_config.keep, named);
	/* R7. An exec in place is still the same process: the file locks it
	 * holds stay held, as setlock-style programs expect; and flock(1)
	 * runs its command in a child to hold its lock. */
	if (s->pid == noleak_config.self ||
	    (noleak_config.rules & NOLEAK_RULE(PROGRAM_LOCKS)))
		noleak_locked_fds(named);
}

/* After the decision: the report (audit, or a log set) and the sweep of
 * this process's table (R9: everything else is marked; not in audit).
 * program is what the report says is being started; reload, whether it
 * is the daemon's reload, whose listeners it gets back (exec_plan). */
static void sweep_named(const struct noleak_fdset *named, const char *program,
			int reload)
{
	if (noleak_audit || noleak_log_set)
		report(named, program, reload);
	if (!noleak_audit)
		noleak_sweep(&noleak_config.keep, named);
}

void noleak_sweep_named(const struct noleak_fdset *named, const char *program)
{
	sweep_named(named, program, 0);
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
static int readable(struct readable *r, const void *p)
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
static int string_readable(struct readable *r, const char *s)
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


/* The number of entries of vec (NULL: 0), or -1 when it, or one of its
 * strings, cannot be read. */
static long vec_count(struct readable *r, char *const *vec)
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
__attribute__((noinline))
int noleak_args_readable(char *const argv[], char *const envp[])
{
	struct readable r = { 0, { 0 }, 0 };

	return vec_count(&r, argv) >= 0 && vec_count(&r, envp) >= 0;
}

/* Whether the string s can be read to its end. */
__attribute__((noinline)) int noleak_text_readable(const char *s)
{
	struct readable r = { 0, { 0 }, 0 };

	return string_readable(&r, UNTRUSTED(s));
}

/* Whether path is readable and empty (execveat's AT_EMPTY_PATH). */
__attribute__((noinline))
int noleak_path_empty(const char *path)
{
	struct readable r = { 0, { 0 }, 0 };
	const char *p = UNTRUSTED(path);

	return readable(&r, p) && !*p;
}

static void exec_sweep(char *const argv[], char *const envp[], int fd_to_run,
		       long pid, int reload)
{
	struct noleak_fdset named = { 0 };
	struct noleak_start s = { UNTRUSTED(argv), NULL, UNTRUSTED(envp), pid,
				  fd_to_run };

	if (!noleak_acts_at_exec())
		return;
	/* The kernel will answer EFAULT and nothing starts: nothing to
	 * protect, and nothing the shim could read. */
	if (!noleak_args_readable(s.argv, s.envp))
		return;
	noleak_decide(&named, &s);
	sweep_named(&named, s.argv && s.argv[0] ? s.argv[0] : "a program", reload);
}

void noleak_exec_sweep(char *const argv[], char *const envp[], int fd_to_run,
		       long pid)
{
	exec_sweep(argv, envp, fd_to_run, pid, 0);
}

/* ---- signals --------------------------------------------------------- */

struct sigsave {
	unsigned long reset;	/* set to default here, bit s-1 */
	unsigned long mask;	/* the mask before */
	int changed;
};

static void set_handlers(unsigned long set, void *handler)
{
	struct noleak_kernel_sigaction act = { handler, 0, NULL, 0 };

	for (int sig = 1; sig <= 64; sig++)
		if ((set >> (sig - 1)) & 1)
			noleak_raw(SYS_rt_sigaction, sig, (long)&act, 0, 8, 0);
}

/* R13.  NOLEAK_SIGNALS=restore, at an exec: what this process inherited
 * across a fork goes back to how the shim found it at start-up.  An exec
 * in place by the process the shim started in changes nothing: what it set
 * up (nohup, env --ignore-signal, a shell's trap before exec) is meant for
 * the program it becomes.  Neither does what a forked child set up itself
 * before its exec. */
static void restore_signals(struct sigsave *save)
{
	unsigned long mask;

	save->changed = !noleak_dormant && !noleak_sandboxed &&
			noleak_config.restore_signals &&
			my_pid() != noleak_config.self;
	if (!save->changed)
		return;
	noleak_sig_inherited(noleak_config.mask_at_start, &save->reset, &mask);
	set_handlers(save->reset, (void *)SIG_DFL);
	noleak_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask,
		   (long)&save->mask, 8, 0);
}

/* The exec failed: this process goes on as it was. */
static void undo_signals(const struct sigsave *save)
{
	if (!save->changed)
		return;
	set_handlers(save->reset, (void *)SIG_IGN);
	noleak_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&save->mask, 0, 8, 0);
}

/* ---- which program an exec starts ------------------------------------ */

/* Comparing files takes two path buffers: it runs on a stack mapped for
 * the moment, as reports do, never on the caller's. */
enum { SAME_STACK = 16 * 1024 };

struct same_job {
	const struct noleak_target *t;
	int same;
};

/* The value of PATH in environ (what execvp searches), without getenv. */
static const char *path_var(void)
{
	for (char **e = environ; e && *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			return *e + 5;
	return "/bin:/usr/bin";
}

/* Whether the file at (dirfd, path) with these flags is the executable
 * whose identity is exe, or whose path was exe_path before it was
 * replaced (exe_path empty: not replaced), or one of the files the
 * program's row names as its own too ("reexec", noleak.conf(5)). */
static int same_file(int dirfd, const char *path, int flags,
		     const struct stat *exe, const char *exe_path)
{
	const char *own = noleak_reexec;
	struct stat st, row;

	if (noleak_raw(SYS_newfstatat, dirfd, (long)path, (long)&st, flags, 0) != 0)
		return 0;
	if (st.st_dev == exe->st_dev && st.st_ino == exe->st_ino)
		return 1;
	if (*exe_path && *path == '/' && !strcmp(path, exe_path))
		return 1;
	for (; own && *own; own += strlen(own) + 1)
		if (noleak_raw(SYS_newfstatat, AT_FDCWD, (long)own, (long)&row, 0, 0) == 0 &&
		    st.st_dev == row.st_dev && st.st_ino == row.st_ino)
			return 1;
	return 0;
}

static void same_on(void *arg)
{
	static const char deleted[] = " (deleted)";
	struct same_job *job = arg;
	const struct noleak_target *t = job->t;
	char exe_path[PATH_MAX], candidate[PATH_MAX];
	struct stat exe;
	long n;

	exe_path[0] = '\0';
	if (noleak_raw(SYS_newfstatat, AT_FDCWD, (long)"/proc/self/exe",
		       (long)&exe, 0, 0) != 0)
		return;
	/* A binary replaced since it started (an upgrade) is known by the
	 * path it had. */
	if (exe.st_nlink == 0) {
		n = noleak_raw(SYS_readlink, (long)"/proc/self/exe", (long)exe_path,
			       sizeof(exe_path) - 1, 0, 0);
		if (n < 0)
			n = 0;
		exe_path[n] = '\0';
		if ((size_t)n > sizeof(deleted) - 1 &&
		    !strcmp(exe_path + n - (sizeof(deleted) - 1), deleted))
			exe_path[n - (sizeof(deleted) - 1)] = '\0';
	}
	if (t->fd_to_run >= 0) {
		job->same = same_file(t->fd_to_run, "", AT_EMPTY_PATH, &exe, "");
		return;
	}
	if (t->kind != NOLEAK_EXEC_VPE || strchr(t->path, '/')) {
		job->same = same_file(t->kind == NOLEAK_EXEC_AT ? t->dirfd : AT_FDCWD,
				      t->path, t->flags & AT_SYMLINK_NOFOLLOW,
				      &exe, exe_path);
		return;
	}
	/* execvp: the first file of that name along PATH that exists. */
	for (const char *p = path_var();;) {
		size_t len = strcspn(p, ":"), flen = strlen(t->path);
		struct stat st;

		if (len + 1 + flen < sizeof(candidate)) {
			memcpy(candidate, p, len);
			if (!len)
				candidate[len++] = '.';
			candidate[len] = '/';
			memcpy(candidate + len + 1, t->path, flen + 1);
			if (noleak_raw(SYS_newfstatat, AT_FDCWD, (long)candidate,
				       (long)&st, 0, 0) == 0 && S_ISREG(st.st_mode)) {
				job->same = same_file(AT_FDCWD, candidate, 0, &exe,
						      exe_path);
				return;
			}
		}
		p += strcspn(p, ":");
		if (!*p++)
			return;
	}
}

/* Whether an exec of t with argv starts the daemon again: its own
 * executable (the same file, or the same path if the file was replaced
 * since) with, when args says so, the arguments it was started with
 * (argv[0] aside).  A re-exec to reload (uWSGI), nginx's binary upgrade,
 * gunicorn's USR2, a daemonized copy starting itself anew; not the same
 * binary in another role (git's subcommands, busybox's applets, a test
 * harness running itself as a probe): R7 and R14.  Without args, also a
 * reload that tells the new image more on its command line (HAProxy's
 * master: "-sf PID... -x sockpair@N").  argv is readable. */
static int same_program(const struct noleak_target *t,
			char *const argv[], int args)
{
	struct same_job job = { t, 0 };

	if (args && (!noleak_config.args_digest || !argv ||
		     noleak_args_digest(argv) != noleak_config.args_digest))
		return 0;
	if (t->fd_to_run < 0 && (!t->path || !noleak_text_readable(t->path)))
		return 0;
	noleak_on_own_stack(same_on, &job, SAME_STACK);
	return job.same;
}

/* ---- the environment of the new program ------------------------------ */

/* Whether envp's LD_PRELOAD names the library (it may have been left out
 * by a program that builds its children's environment itself). */
static int env_has_lib(char *const *envp)
{
	return noleak_env_has_lib(envp, noleak_config.libbase);
}

/* argv and envp of an exec, and whether they can be read to their ends,
 * found out at the first question that needs it: a dormant process asks
 * none, and pays nothing for them. */
struct exec_args {
	char *const *argv, *const *envp;
	int readable;		/* -1: not known yet */
};

static int args_ok(struct exec_args *a)
{
	if (a->readable < 0)
		a->readable = noleak_args_readable(a->argv, a->envp);
	return a->readable;
}

/* Whether the exec runs the daemon's own program (same_program). */
static int runs_own(const struct noleak_target *t, struct exec_args *a)
{
	return args_ok(a) && same_program(t, a->argv, 1);
}

/* For an exec in place: NOLEAK_ENV_REEXEC when it runs the daemon's own
 * executable, with NOLEAK_ENV_LISTENERS when with the same arguments.
 * What the sweep kept for the new image by name stays its own there, not
 * inherited: otherwise it would reach every program the new image starts
 * (HAProxy's master after a reload, and the programs of its "program"
 * sections). */
static unsigned reexec_plan(const struct noleak_target *t, struct exec_args *a)
{
	if (runs_own(t, a))
		return NOLEAK_ENV_REEXEC | NOLEAK_ENV_LISTENERS;
	if (args_ok(a) && same_program(t, a->argv, 0))
		return NOLEAK_ENV_REEXEC;
	return 0;
}

/* Whether the new program's environment names the library. */
static int has_lib(struct exec_args *a)
{
	return args_ok(a) && env_has_lib(a->envp);
}

/* How the exec of t by this process changes the new program's
 * environment (NOLEAK_ENV_*).  The rule of the process scope (R14), in
 * order:
 *  - an exec in place (by this process, or by a fork of it whose parent
 *    has gone: a daemonized copy) is the daemon going on: it keeps the
 *    library, and a copy that is not the owner becomes it;
 *  - in a descendant the shim is not protecting, the shim comes out;
 *  - a shell or a launcher (the conventions table) is never the daemon:
 *    what it starts is protected in its place, as its own owner (R15);
 *  - a fork of the daemon that runs the daemon's own program is the
 *    daemon again (nginx's binary upgrade);
 *  - anything else it starts runs without the library.
 * In both scopes, an exec in place of the daemon's own program keeps its
 * listening sockets (it is the same daemon, reloading: uWSGI finds its
 * sockets again by looking through its descriptors; the new image marks
 * them again), an exec in place of its own executable has the new image
 * mark again what the sweep kept for it by name (reexec_plan), and an
 * exec of its own program gets the library's variables back if the
 * caller built the environment without them (R7); not under secure
 * execution, where nothing is given back (active is 0: R17). */
static unsigned plan_for(const struct noleak_target *t, struct exec_args *a,
			 int enforcing)
{
	long me = my_pid(), parent = 0;
	int process = noleak_config.scope == NOLEAK_SCOPE_PROCESS;
	int owner_image = noleak_config.self == noleak_config.owner;
	int active = (enforcing || !noleak_dormant) && !noleak_secure;
	unsigned passer = noleak_config.rules & (NOLEAK_RULE(PROGRAM_SHELL) |
						 NOLEAK_RULE(PROGRAM_LAUNCHER));
	unsigned plan = 0;

	/* R18.  Host-wide, every program gets the library from the loader,
	 * and the environment carries nothing of it: only the daemon's own
	 * descriptors are passed to its new image, as its own. */
	if (noleak_config.hostwide)
		return me == noleak_config.self && active ? reexec_plan(t, a) : 0;
	if (me != noleak_config.self)
		parent = noleak_forked_from();
	if (me == noleak_config.self ||
	    (parent && noleak_raw(SYS_getppid, 0, 0, 0, 0, 0) != parent)) {
		if (process && !owner_image)
			return NOLEAK_ENV_STRIP;
		if (me != noleak_config.self)
			plan |= NOLEAK_ENV_OWNER;
		if (active)
			plan |= reexec_plan(t, a);
		if (plan & NOLEAK_ENV_LISTENERS)
			plan |= has_lib(a) ? 0 : NOLEAK_ENV_CARRY;
		return plan;
	}
	if (process) {
		if (!owner_image)
			return NOLEAK_ENV_STRIP;
		if (passer)
			return NOLEAK_ENV_OWNER;
		if (active && runs_own(t, a))
			return NOLEAK_ENV_OWNER |
			       (has_lib(a) ? 0 : NOLEAK_ENV_CARRY);
		return NOLEAK_ENV_STRIP;
	}
	if (active && !has_lib(a) && runs_own(t, a))
		return NOLEAK_ENV_OWNER | NOLEAK_ENV_CARRY;
	return 0;
}

/* The plan of this exec, as it goes. */
static unsigned exec_plan(const struct noleak_target *t, struct exec_args *a)
{
	return plan_for(t, a, 0);
}

/* The room a rewrite of envp for plan takes: *ptrs pointers and *bytes of
 * strings.  Returns 0 when envp cannot be read. */
static int env_room(char *const envp[], unsigned plan, size_t *ptrs,
		    size_t *bytes)
{
	struct readable r = { 0, { 0 }, 0 };
	long count = vec_count(&r, envp);

	if (count < 0)
		return 0;
	envp = UNTRUSTED(envp);
	*ptrs = (size_t)count + 2 + sizeof(noleak_config.carry) / sizeof(char *);
	*bytes = 1;
	for (long i = 0; (plan & NOLEAK_ENV_STRIP) && i < count; i++)
		if (!strncmp(envp[i], "LD_PRELOAD=", 11))
			*bytes = strlen(envp[i]) + 1;
	if (plan & NOLEAK_ENV_REEXEC)
		*bytes += REEXEC_LIST + 16;
	return 1;
}

/* Whether memory may be mapped for an exec's environment: only where the
 * mapping cannot outlive the exec in a parent, an exec in place or the
 * child of a real fork; never a vfork child, which shares its parent's
 * memory. */
static int may_map(void)
{
	return my_pid() == noleak_config.self || noleak_forked_from();
}

/* The stack the caller is to give env_prepare for plan: 0 where memory
 * can be mapped for it (an exec in place, the child of fork), so that the
 * caller's stack is spared; in a vfork child, the bytes of the rewrite
 * within ENV_REWRITE_BUDGET, else 0 (the environment goes as it is). */
size_t noleak_env_stack(char *const envp[], unsigned plan)
{
	size_t ptrs, bytes, need;

	if (!plan || (plan & NOLEAK_ENV_REEXEC) || !env_room(envp, plan, &ptrs, &bytes))
		return 0;
	/* Where memory can be mapped for it, the caller's stack is spared. */
	if (may_map())
		return 0;
	need = ptrs * sizeof(char *) + bytes;
	if (noleak_config.rules & NOLEAK_RULE(PROGRAM_SHELL))
		return need <= ENV_REWRITE_BUDGET_SHELL ? need : 0;
	return need <= ENV_REWRITE_BUDGET ? need : 0;
}

/* Make ne->env the environment plan asks for, in stack (of size len) or,
 * where that is 0, in memory mapped for it: only where the mapping cannot
 * outlive the exec in a parent (an exec in place, or the child of a real
 * fork), never in a vfork child, which shares its parent's memory.  Where
 * neither can be had, envp goes as it is. */
void noleak_env_prepare(struct noleak_newenv *ne, unsigned plan, char *const envp[],
			char *stack, size_t len)
{
	size_t ptrs, bytes, n;
	char *area = stack, *list = NULL, *strings;

	ne->env = envp;
	ne->map = NULL;
	ne->reexec = NULL;
	if (!plan || !env_room(envp, plan, &ptrs, &bytes))
		return;
	if (!stack) {
		if (!may_map())
			return;
		len = ptrs * sizeof(char *) + bytes + REEXEC_LIST;
		len = (len + 4095) & ~(size_t)4095;
		area = (char *)noleak_raw(SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1);
		if ((long)area < 0 && (long)area > -4096)
			return;
		ne->map = area;
		ne->maplen = len;
	}
	strings = area + ptrs * sizeof(char *);
	if (plan & NOLEAK_ENV_REEXEC) {
		/* "PID:LIST": an exec in place keeps its pid, and the new
		 * image takes the variable for its own only under that pid
		 * (config.c, remark_reexec); one the user set is left be. */
		size_t k = 0;
		char digits[24];
		long pid = my_pid();
		int d = 0;

		list = area + len - REEXEC_LIST;
		do
			digits[d++] = (char)('0' + pid % 10);
		while ((pid /= 10) != 0);
		while (d)
			list[k++] = digits[--d];
		list[k++] = ':';
		if (!noleak_added_reexec_list(list + k, REEXEC_LIST - k,
					      !!(plan & NOLEAK_ENV_LISTENERS)))
			plan &= ~(unsigned)NOLEAK_ENV_REEXEC;
		else
			ne->reexec = list + k;
	}
	n = noleak_env_rewrite(UNTRUSTED(envp), plan, noleak_config.libbase,
			       list, noleak_config.carry, (char **)area, ptrs,
			       strings, bytes);
	if (n != (size_t)-1)
		ne->env = (char *const *)area;
}

/* The exec failed: the shim's flags go back on, and the mapping away. */
void noleak_env_release(struct noleak_newenv *ne)
{
	if (ne->reexec)
		noleak_added_mark_list(ne->reexec);
	if (ne->map)
		noleak_raw(SYS_munmap, (long)ne->map, (long)ne->maplen, 0, 0, 0);
}

/* In the process scope, a program started by posix_spawn, system or popen
 * runs without the shim, unless a shell or a launcher is starting it: it
 * stands in for the daemon then (R14, R15). */
unsigned noleak_spawn_plan(void)
{
	if (noleak_config.scope != NOLEAK_SCOPE_PROCESS || noleak_config.hostwide)
		return 0;
	if (noleak_config.self == noleak_config.owner &&
	    my_pid() == noleak_config.self &&
	    (noleak_config.rules & (NOLEAK_RULE(PROGRAM_SHELL) |
				    NOLEAK_RULE(PROGRAM_LAUNCHER))))
		return NOLEAK_ENV_OWNER;
	return NOLEAK_ENV_STRIP;
}

/* ---- the exec family ------------------------------------------------- */

static int call_next(const struct noleak_target *t, char *const argv[],
		     char *const env[])
{
	switch (t->kind) {
	case NOLEAK_EXEC_VE: {
		__typeof__(execve) *next = NEXT(execve);

		return next ? next(t->path, argv, env)
			    : (int)noleak_raw_result(noleak_raw(SYS_execve,
						(long)t->path, (long)argv,
						(long)env, 0, 0));
	}
	case NOLEAK_EXEC_VPE: {
		__typeof__(execvpe) *next = NEXT(execvpe);

		return next ? next(t->path, argv, env) : fail_nosys();
	}
	case NOLEAK_EXEC_FD: {
		__typeof__(fexecve) *next = NEXT(fexecve);

		return next ? next(t->dirfd, argv, env)
			    : (int)noleak_raw_result(noleak_raw(SYS_execveat,
						t->dirfd, (long)"", (long)argv,
						(long)env, AT_EMPTY_PATH));
	}
	case NOLEAK_EXEC_AT: {
		__typeof__(execveat) *next = NEXT(execveat);

		return next ? next(t->dirfd, t->path, argv, env, t->flags)
			    : (int)noleak_raw_result(noleak_raw(SYS_execveat,
						t->dirfd, (long)t->path,
						(long)argv, (long)env, t->flags));
	}
	}
	return fail_nosys();
}

/* After the sweep: the new environment, the signals, the exec; and when
 * it fails, the signals and the shim's flags as they were.  Not inlined:
 * its locals (the environment's room on the stack among them) must not be
 * on the stack while the sweep runs below noleak_exec_run. */
__attribute__((noinline))
static int exec_after_sweep(const struct noleak_target *t, char *const argv[],
			    char *const envp[])
{
	struct exec_args a = { argv, envp, -1 };
	/* R16.  In a sandbox, the exec goes as the program wrote it. */
	unsigned plan = noleak_sandboxed ? 0 : exec_plan(t, &a);
	size_t need;
	int ret;

	/* Arguments the kernel will refuse are passed on untouched. */
	if (plan && !args_ok(&a))
		plan = 0;
	if (plan == NOLEAK_ENV_STRIP && !env_has_lib(envp))
		plan = 0;	/* nothing to take out: no copy */
	need = noleak_env_stack(envp, plan);
	{
		char stack[need ? need : 1] __attribute__((aligned(16)));
		struct noleak_newenv ne;
		struct sigsave save;

		noleak_env_prepare(&ne, plan, envp, need ? stack : NULL, need);
		restore_signals(&save);
		ret = call_next(t, argv, ne.env);
		undo_signals(&save);
		noleak_env_release(&ne);
	}
	return ret;
}

/* The sweep and what it reads (the command line's words, the conventions,
 * the keep-list) take most of a kilobyte of stack, which the caller's may
 * not have: a vfork child's, a thread's small one, a variadic execl's
 * under a stack protector.  So they run on a stack mapped for the moment
 * and unmapped before the exec (in a vfork child, the mapping lands in the
 * parent and is gone before it resumes), and on the caller's own only when
 * nothing can be mapped. */
enum { SWEEP_STACK = 32 * 1024 };

struct sweep_job {
	const struct noleak_target *t;
	char *const *argv, *const *envp;
	long pid;
};

/* Whether a report is to spare the listeners of this exec: the plan
 * enforce gives it (plan_for; audit's own changes nothing) hands them to
 * the new image.  Asked only for a report: enforcing, the sweep marks them
 * either way, and the exec takes them off again. */
static int reload_reported(const struct sweep_job *j)
{
	struct exec_args a = { j->argv, j->envp, -1 };

	return (noleak_audit || noleak_log_set) &&
	       (plan_for(j->t, &a, 1) & NOLEAK_ENV_LISTENERS);
}

static void sweep_on(void *arg)
{
	const struct sweep_job *j = arg;

	exec_sweep(j->argv, j->envp, j->t->fd_to_run, j->pid, reload_reported(j));
}

/* Not inlined: its locals are gone before the exec's own work. */
__attribute__((noinline))
static void sweep_aside(const struct noleak_target *t, char *const argv[],
			char *const envp[])
{
	struct sweep_job job = { t, argv, envp, my_pid() };

	if (noleak_on_own_stack(sweep_on, &job, SWEEP_STACK) < 0)
		sweep_on(&job);
}

int noleak_exec_run(const struct noleak_target *t, char *const argv[],
		    char *const envp[])
{
	/* A dormant process maps no stack for a sweep it would not make. */
	if (noleak_acts_at_exec())
		sweep_aside(t, argv, envp);
	return exec_after_sweep(t, argv, envp);
}

