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
 * vfork is not wrapped: a C wrapper would return twice through one stack
 * frame.  The sweep happens in the exec the vfork child must call. */
#include "noleak.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Sweep this process before a new program starts; fd_to_run is the
 * descriptor the exec itself needs (fexecve), or -1. */
NOLEAK_ASYNC_SAFE static void sweep(int fd_to_run)
{
	noleak_init();
	noleak_sweep(&noleak_config.keep, fd_to_run);
}

static int fail_nosys(void)
{
	errno = ENOSYS;
	return -1;
}

static int do_execve(const char *path, char *const argv[], char *const envp[])
{
	__typeof__(execve) *next = NEXT(execve);

	sweep(-1);
	if (!next)
		return (int)noleak_raw_result(noleak_raw(SYS_execve, (long)path,
						(long)argv, (long)envp, 0, 0));
	return next(path, argv, envp);
}

static int do_execv(const char *path, char *const argv[])
{
	__typeof__(execv) *next = NEXT_BOUND(execv);

	sweep(-1);
	return next ? next(path, argv) : fail_nosys();
}

static int do_execvp(const char *file, char *const argv[])
{
	__typeof__(execvp) *next = NEXT_BOUND(execvp);

	sweep(-1);
	return next ? next(file, argv) : fail_nosys();
}

NOLEAK_EXPORT int execve(const char *path, char *const argv[],
			 char *const envp[])
{
	return do_execve(path, argv, envp);
}

NOLEAK_EXPORT int execv(const char *path, char *const argv[])
{
	return do_execv(path, argv);
}

NOLEAK_EXPORT int execvp(const char *file, char *const argv[])
{
	return do_execvp(file, argv);
}

NOLEAK_EXPORT int execvpe(const char *file, char *const argv[],
			  char *const envp[])
{
	__typeof__(execvpe) *next = NEXT_BOUND(execvpe);

	sweep(-1);
	return next ? next(file, argv, envp) : fail_nosys();
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
	return do_execv(path, argv);
}

NOLEAK_EXPORT int execlp(const char *file, const char *arg, ...)
{
	GATHER_ARGS(arg, argv, (void)0);
	return do_execvp(file, argv);
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

	sweep(fd);
	return next ? next(fd, argv, envp) : fail_nosys();
}

NOLEAK_EXPORT int execveat(int dirfd, const char *path, char *const argv[],
			   char *const envp[], int flags)
{
	__typeof__(execveat) *next = NEXT(execveat);

	sweep((flags & AT_EMPTY_PATH) && !*path ? dirfd : -1);
	if (!next)
		return (int)noleak_raw_result(noleak_raw(SYS_execveat, dirfd,
						(long)path, (long)argv,
						(long)envp, flags));
	return next(dirfd, path, argv, envp, flags);
}

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

/* system, popen and posix_spawn sweep the parent, then copy its table into
 * the child: the spawner side of the fork lock keeps a composite creator in
 * another thread from slipping a descriptor in between. */
NOLEAK_EXPORT int system(const char *command)
{
	__typeof__(system) *next = NEXT_BOUND(system);
	int took, ret;

	if (!next)
		return fail_nosys();
	if (!command)		/* system(NULL) only asks for a shell */
		return next(command);
	took = noleak_spawner_lock();
	sweep(-1);
	ret = next(command);
	noleak_spawner_unlock(took);
	return ret;
}

/* popen clears close-on-exec on its end of the pipe unless the mode has 'e'
 * (libio/iopopen.c), so later children would inherit it: 'e' is added. */
NOLEAK_EXPORT FILE *popen(const char *command, const char *mode)
{
	__typeof__(popen) *next = NEXT_BOUND(popen);
	char buf[16];
	const char *m = noleak_mode_cloexec(mode, buf, sizeof(buf));
	FILE *f;

	int took;

	if (!next) {
		errno = ENOSYS;
		return NULL;
	}
	took = noleak_spawner_lock();
	sweep(-1);
	f = next(command, m);
	noleak_spawner_unlock(took);
	if (f) {
		int saved = errno;

		noleak_created(fileno(f), m != mode);
		errno = saved;
	}
	return f;
}

typedef int spawn_fn(pid_t *, const char *, const posix_spawn_file_actions_t *,
		     const posix_spawnattr_t *, char *const[], char *const[]);

static int do_spawn(spawn_fn *next, pid_t *pid, const char *path,
		    const posix_spawn_file_actions_t *actions,
		    const posix_spawnattr_t *attr, char *const argv[],
		    char *const envp[])
{
	int took, ret;

	if (!next)
		return ENOSYS;	/* posix_spawn returns the error number */
	took = noleak_spawner_lock();
	sweep(-1);
	ret = next(pid, path, actions, attr, argv, envp);
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
