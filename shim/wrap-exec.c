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
 * Before a new program starts, in this order:
 *  - the sweep, keeping what the new program is told about by number (its
 *    command line, the hand-over variables of its environment: policy.c);
 *  - in the process scope, the shim is taken out of the child's LD_PRELOAD
 *    (an exec in place by the process noleak started keeps it);
 *  - with NOLEAK_SIGNALS=restore, in a child (never at an exec in place of
 *    the process the shim started in), signals it inherited ignored go back
 *    to their default and the blocked mask to the start-up one; what the
 *    child set up itself after its fork stays.
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
#include <sys/stat.h>
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
	 * file locks it holds stay held, as setlock-style programs expect;
	 * and flock(1) forks its command to hold its lock. */
	if (pid == noleak_config.self ||
	    (noleak_config.rules & NOLEAK_RULE(PROGRAM_LOCKS)))
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

/* NOLEAK_SIGNALS=restore, at an exec: what this process inherited across
 * a fork goes back to how the shim found it at start-up.  An exec in place
 * by the process the shim started in changes nothing: what it set up
 * (nohup, env --ignore-signal, a shell's trap before exec) is meant for
 * the program it becomes.  Neither does what a forked child set up itself
 * before its exec. */
NOLEAK_ASYNC_SAFE static void restore_signals(struct sigsave *save)
{
	unsigned long mask;

	save->changed = !noleak_dormant && noleak_config.restore_signals &&
			my_pid() != noleak_config.self;
	if (!save->changed)
		return;
	noleak_sig_inherited(noleak_config.mask_at_start, &save->reset, &mask);
	set_handlers(save->reset, (void *)SIG_DFL);
	noleak_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask,
		   (long)&save->mask, 8, 0);
}

/* The exec failed: this process goes on as it was. */
NOLEAK_ASYNC_SAFE static void undo_signals(const struct sigsave *save)
{
	if (!save->changed)
		return;
	set_handlers(save->reset, (void *)SIG_IGN);
	noleak_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&save->mask, 0, 8, 0);
}

/* ---- which program an exec starts ------------------------------------ */

/* What an exec is asked to run: path (relative to dirfd, with execveat's
 * flags), searched in PATH for execvp, or the open file fd (fexecve,
 * execveat with an empty path). */
enum exec_kind { EXEC_VE, EXEC_VPE, EXEC_FD, EXEC_AT };

struct target {
	enum exec_kind kind;
	int dirfd;		/* EXEC_FD: the file; EXEC_AT: the directory */
	const char *path;
	int flags;		/* execveat's */
	int fd_to_run;		/* the file itself, or -1 */
};

/* Comparing files takes two path buffers: it runs on a stack mapped for
 * the moment, as reports do, never on the caller's. */
enum { SAME_STACK = 16 * 1024 };

struct same_job {
	const struct target *t;
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
 * replaced (exe_path empty: not replaced). */
NOLEAK_ASYNC_SAFE static int same_file(int dirfd, const char *path, int flags,
				       const struct stat *exe, const char *exe_path)
{
	struct stat st;

	if (noleak_raw(SYS_newfstatat, dirfd, (long)path, (long)&st, flags, 0) != 0)
		return 0;
	if (st.st_dev == exe->st_dev && st.st_ino == exe->st_ino)
		return 1;
	return *exe_path && *path == '/' && !strcmp(path, exe_path);
}

NOLEAK_ASYNC_SAFE static void same_on(void *arg)
{
	static const char deleted[] = " (deleted)";
	struct same_job *job = arg;
	const struct target *t = job->t;
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
	if (t->kind != EXEC_VPE || strchr(t->path, '/')) {
		job->same = same_file(t->kind == EXEC_AT ? t->dirfd : AT_FDCWD,
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
 * since) with the arguments it was started with (argv[0] aside).  A
 * re-exec to reload (uWSGI), nginx's binary upgrade, gunicorn's USR2, a
 * daemonized copy starting itself anew; not the same binary in another
 * role (git's subcommands, busybox's applets, a test harness running
 * itself as a probe).  argv is readable. */
NOLEAK_ASYNC_SAFE static int same_program(const struct target *t,
					  char *const argv[])
{
	struct same_job job = { t, 0 };
	long stack;

	if (!noleak_config.args_digest || !argv ||
	    noleak_args_digest(argv) != noleak_config.args_digest)
		return 0;
	if (t->fd_to_run < 0 && (!t->path || !text_readable(t->path)))
		return 0;
	stack = noleak_raw(SYS_mmap, 0, SAME_STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1);
	if (stack < 0 && stack > -4096)
		return 0;
	noleak_call_on_stack(same_on, &job, (void *)(stack + SAME_STACK));
	noleak_raw(SYS_munmap, stack, SAME_STACK, 0, 0, 0);
	return job.same;
}

/* ---- the environment of the new program ------------------------------ */

/* Whether envp's LD_PRELOAD names the library (it may have been left out
 * by a program that builds its children's environment itself). */
static int env_has_lib(char *const *envp)
{
	char *out[2];
	char buf[8];

	for (size_t i = 0; envp && envp[i]; i++)
		if (!strncmp(envp[i], "LD_PRELOAD=", 11)) {
			/* Stripping it changes LD_PRELOAD: it was there. */
			char *one[2] = { envp[i], NULL };
			size_t len = strlen(envp[i]) + 1;
			char tmp[len <= 512 ? len : 1];

			if (len > 512)
				return strstr(envp[i], noleak_config.libbase) != NULL;
			noleak_env_strip(one, noleak_config.libbase, out, 2, tmp, len);
			(void)buf;
			return out[0] != envp[i] || out[0] == NULL ||
			       strcmp(out[0], envp[i]) != 0;
		}
	return 0;
}

/* How the exec of t by this process changes the new program's
 * environment (NOLEAK_ENV_*).  The rule of the process scope, in order:
 *  - an exec in place (by this process, or by a fork of it whose parent
 *    has gone: a daemonized copy) is the daemon going on: it keeps the
 *    library, and a copy that is not the owner becomes it;
 *  - in a descendant the shim is not protecting, the shim comes out;
 *  - a shell or a launcher (the conventions table) is never the daemon:
 *    what it starts is protected in its place, as its own owner;
 *  - a fork of the daemon that runs the daemon's own program is the
 *    daemon again (nginx's binary upgrade);
 *  - anything else it starts runs without the library.
 * In both scopes, an exec in place of the daemon's own program keeps its
 * listening sockets (it is the same daemon, reloading: uWSGI finds its
 * sockets again by looking through its descriptors; the new image marks
 * them again), and an exec of its own program gets the library's
 * variables back if the caller built the environment without them. */
static unsigned exec_plan(const struct target *t, char *const argv[],
			  char *const envp[])
{
	long me = my_pid(), parent = 0;
	int process = noleak_config.scope == NOLEAK_SCOPE_PROCESS;
	int owner_image = noleak_config.self == noleak_config.owner;
	int active = !noleak_dormant && !noleak_secure;
	unsigned passer = noleak_config.rules & (NOLEAK_RULE(PROGRAM_SHELL) |
						 NOLEAK_RULE(PROGRAM_LAUNCHER));
	unsigned plan = 0;

	if (me != noleak_config.self)
		parent = noleak_forked_from();
	if (me == noleak_config.self ||
	    (parent && noleak_raw(SYS_getppid, 0, 0, 0, 0, 0) != parent)) {
		if (process && !owner_image)
			return NOLEAK_ENV_STRIP;
		if (me != noleak_config.self)
			plan |= NOLEAK_ENV_OWNER;
		if (active && same_program(t, argv))
			plan |= NOLEAK_ENV_REEXEC |
				(env_has_lib(envp) ? 0 : NOLEAK_ENV_CARRY);
		return plan;
	}
	if (process) {
		if (!owner_image)
			return NOLEAK_ENV_STRIP;
		if (passer)
			return NOLEAK_ENV_OWNER;
		if (active && same_program(t, argv))
			return NOLEAK_ENV_OWNER |
			       (env_has_lib(envp) ? 0 : NOLEAK_ENV_CARRY);
		return NOLEAK_ENV_STRIP;
	}
	if (active && !env_has_lib(envp) && same_program(t, argv))
		return NOLEAK_ENV_OWNER | NOLEAK_ENV_CARRY;
	return 0;
}

/* The environment handed to the next exec, and what to undo if the exec
 * fails. */
struct newenv {
	char *const *env;
	void *map;		/* mapped for it, or NULL */
	size_t maplen;
	const char *reexec;	/* the flags taken off (NOLEAK_ENV_REEXEC) */
};

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

/* The stack the caller is to give env_prepare for plan: the bytes of the
 * rewrite within ENV_REWRITE_BUDGET, else 0 (it maps its own where it
 * can, or leaves the environment as it is). */
static size_t env_stack(char *const envp[], unsigned plan)
{
	size_t ptrs, bytes, need;

	if (!plan || (plan & NOLEAK_ENV_REEXEC) || !env_room(envp, plan, &ptrs, &bytes))
		return 0;
	need = ptrs * sizeof(char *) + bytes;
	return need <= ENV_REWRITE_BUDGET ? need : 0;
}

/* Make ne->env the environment plan asks for, in stack (of size len) or,
 * where that is 0, in memory mapped for it: only where the mapping cannot
 * outlive the exec in a parent (an exec in place, or the child of a real
 * fork), never in a vfork child, which shares its parent's memory.  Where
 * neither can be had, envp goes as it is. */
static void env_prepare(struct newenv *ne, unsigned plan, char *const envp[],
			char *stack, size_t len)
{
	size_t ptrs, bytes, n;
	char *area = stack, *list = NULL, *strings;
	int may_map = my_pid() == noleak_config.self || noleak_forked_from();

	ne->env = envp;
	ne->map = NULL;
	ne->reexec = NULL;
	if (!plan || !env_room(envp, plan, &ptrs, &bytes))
		return;
	if (!stack) {
		if (!may_map)
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
		list = area + len - REEXEC_LIST;
		if (!noleak_added_clear_listeners(list, REEXEC_LIST))
			plan &= ~(unsigned)NOLEAK_ENV_REEXEC;
		else
			ne->reexec = list;
	}
	n = noleak_env_rewrite(UNTRUSTED(envp), plan, noleak_config.libbase,
			       list, noleak_config.carry, (char **)area, ptrs,
			       strings, bytes);
	if (n != (size_t)-1)
		ne->env = (char *const *)area;
}

/* The exec failed: the shim's flags go back on, and the mapping away. */
static void env_release(struct newenv *ne)
{
	if (ne->reexec)
		noleak_added_mark_list(ne->reexec);
	if (ne->map)
		noleak_raw(SYS_munmap, (long)ne->map, (long)ne->maplen, 0, 0, 0);
}

/* In the process scope, a program started by posix_spawn, system or popen
 * runs without the shim, unless a shell or a launcher is starting it: it
 * stands in for the daemon then. */
static unsigned spawn_plan(void)
{
	if (noleak_config.scope != NOLEAK_SCOPE_PROCESS)
		return 0;
	if (noleak_config.self == noleak_config.owner &&
	    my_pid() == noleak_config.self &&
	    (noleak_config.rules & (NOLEAK_RULE(PROGRAM_SHELL) |
				    NOLEAK_RULE(PROGRAM_LAUNCHER))))
		return NOLEAK_ENV_OWNER;
	return NOLEAK_ENV_STRIP;
}

/* ---- the exec family ------------------------------------------------- */

static int call_next(const struct target *t, char *const argv[],
		     char *const env[])
{
	switch (t->kind) {
	case EXEC_VE: {
		__typeof__(execve) *next = NEXT(execve);

		return next ? next(t->path, argv, env)
			    : (int)noleak_raw_result(noleak_raw(SYS_execve,
						(long)t->path, (long)argv,
						(long)env, 0, 0));
	}
	case EXEC_VPE: {
		__typeof__(execvpe) *next = NEXT_BOUND(execvpe);

		return next ? next(t->path, argv, env) : fail_nosys();
	}
	case EXEC_FD: {
		__typeof__(fexecve) *next = NEXT_BOUND(fexecve);

		return next ? next(t->dirfd, argv, env) : fail_nosys();
	}
	case EXEC_AT: {
		__typeof__(execveat) *next = NEXT(execveat);

		return next ? next(t->dirfd, t->path, argv, env, t->flags)
			    : (int)noleak_raw_result(noleak_raw(SYS_execveat,
						t->dirfd, (long)t->path,
						(long)argv, (long)env, t->flags));
	}
	}
	return fail_nosys();
}

/* Every exec: the sweep, the new environment, the signals, the exec; and
 * when it fails, the signals and the shim's flags as they were. */
static int run_exec(const struct target *t, char *const argv[],
		    char *const envp[])
{
	unsigned plan;
	size_t need;
	int ret;

	noleak_exec_sweep(argv, envp, t->fd_to_run, my_pid());
	noleak_init();
	/* Arguments the kernel will refuse are passed on untouched. */
	plan = args_readable(argv, envp) ? exec_plan(t, argv, envp) : 0;
	need = env_stack(envp, plan);
	{
		char stack[need ? need : 1] __attribute__((aligned(16)));
		struct newenv ne;
		struct sigsave save;

		env_prepare(&ne, plan, envp, need ? stack : NULL, need);
		restore_signals(&save);
		ret = call_next(t, argv, ne.env);
		undo_signals(&save);
		env_release(&ne);
	}
	return ret;
}

static int do_execve(const char *path, char *const argv[], char *const envp[])
{
	struct target t = { EXEC_VE, AT_FDCWD, UNTRUSTED(path), 0, -1 };

	return run_exec(&t, argv, envp);
}

static int do_execvpe(const char *file, char *const argv[], char *const envp[])
{
	struct target t = { EXEC_VPE, AT_FDCWD, UNTRUSTED(file), 0, -1 };

	return run_exec(&t, argv, envp);
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
	struct target t = { EXEC_FD, fd, NULL, 0, fd };

	return run_exec(&t, argv, envp);
}

NOLEAK_EXPORT int execveat(int dirfd, const char *path, char *const argv[],
			   char *const envp[], int flags)
{
	/* The program to run is dirfd itself only for an empty path; a NULL
	 * or unreadable one is the kernel's to refuse. */
	int empty = (flags & AT_EMPTY_PATH) && path_empty(path);
	struct target t = { EXEC_AT, dirfd, UNTRUSTED(path), flags,
			    empty ? dirfd : -1 };

	return run_exec(&t, argv, envp);
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

	if (!next)
		return fail_nosys();
	parent = my_pid();
	pid = next();
	if (pid == 0) {
		system_after_fork();
		noleak_forked(parent);
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
	int usable;

	if (argv)
		noleak_fds_in_args(argv, named);
	else
		noleak_fds_in_command(command, named);
	/* The child's pid is not known yet, but it is not this process's:
	 * sockets LISTEN_PID says are for this process stay here. */
	noleak_fds_in_env(envp, -my_pid(), named);
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
			   0, spawn_plan(), report_name(command));
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
					   environ, named, 0, spawn_plan(),
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
				   &named, helper, spawn_plan(),
				   report_name(argv && argv[0] ? argv[0] : path));
		if (ret != NOLEAK_SPAWN_REFUSED)
			return ret;
		/* The kernel refused clone: glibc's way, after a sweep here. */
		noleak_sweep(&noleak_config.keep, &named);
	}
	{
		/* Through glibc, the child still gets the signals of start-up
		 * (NOLEAK_SIGNALS=restore), through the attributes. */
		unsigned plan = spawn_plan();
		size_t need = env_stack(envp, plan);
		char stack[need ? need : 1] __attribute__((aligned(16)));
		struct newenv ne;

		env_prepare(&ne, plan, envp, need ? stack : NULL, need);
		ret = next(pid, path, actions,
			   noleak_spawn_attr_write(attr, &a, &mine), argv, ne.env);
		env_release(&ne);
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
