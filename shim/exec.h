/* SPDX-License-Identifier: MIT */
/* exec.h: what the exec path (exec.c, in the async-signal-safe zone) offers
 * the wrappers that start programs (wrap-exec.c). */
#ifndef NOLEAK_EXEC_H
#define NOLEAK_EXEC_H

#include "common.h"
#include "policy.h"

/* p, which the compiler may no longer assume is not NULL: glibc declares
 * the arguments of the exec family nonnull, and after inlining, GCC would
 * drop the very checks that make a NULL one safe. */
#define UNTRUSTED(p) ({ __typeof__(p) p_ = (p); __asm__("" : "+r"(p_)); p_; })

/* What an exec is asked to run: path (relative to dirfd, with execveat's
 * flags), searched in PATH for execvp, or the open file fd (fexecve,
 * execveat with an empty path). */
enum noleak_exec_kind {
	NOLEAK_EXEC_VE, NOLEAK_EXEC_VPE, NOLEAK_EXEC_FD, NOLEAK_EXEC_AT
};

struct noleak_target {
	enum noleak_exec_kind kind;
	int dirfd;		/* NOLEAK_EXEC_FD: the file;
				   NOLEAK_EXEC_AT: the directory */
	const char *path;
	int flags;		/* execveat's */
	int fd_to_run;		/* the file itself, or -1 */
};

/* The environment handed to the next exec, and what to undo if the exec
 * fails. */
struct noleak_newenv {
	char *const *env;
	void *map;		/* mapped for it, or NULL */
	size_t maplen;
	const char *reexec;	/* the flags taken off (NOLEAK_ENV_REEXEC) */
};

/* Whether this process sweeps (or, in audit, reports) at all: set up
 * (noleak_init) and not dormant. */
int noleak_acts_at_exec(void);

/* Whether argv and envp (NULL counts as empty), or the string s, can be
 * read to their ends: the kernel's EFAULT, not a crash in the shim. */
int noleak_args_readable(char *const argv[], char *const envp[]);
int noleak_text_readable(const char *s);

/* Whether path is readable and empty (execveat's AT_EMPTY_PATH). */
int noleak_path_empty(const char *path);

/* What is starting, for noleak_decide: argv, or for a shell command
 * (system, popen) command; the new program's environment; pid, the pid it
 * will have (0 when not known; -pid when it is known only not to be pid,
 * for LISTEN_PID); the file of fexecve, or -1. */
struct noleak_start {
	char *const *argv;
	const char *command;
	char *const *envp;
	long pid;
	int fd_to_run;
};

/* The one decision of what reaches a new program (libnoleak(7), WHAT
 * SURVIVES EXEC, rules 4, 5 and 7): adds to named what the new program is
 * told about or must keep by number.  argv, command and envp are readable. */
void noleak_decide(struct noleak_fdset *named,
		   const struct noleak_start *s);

/* Then the report (audit, or a log set) and the sweep (not in audit). */
void noleak_sweep_named(const struct noleak_fdset *named,
			const char *program);

/* The exec of t: sweep, environment, signals, the next exec; on failure,
 * everything put back.  Returns what the exec returned. */
int noleak_exec_run(const struct noleak_target *t,
		    char *const argv[], char *const envp[]);

/* How posix_spawn, system and popen change the child's environment. */
unsigned noleak_spawn_plan(void);

/* The rewrite of envp for plan: noleak_env_stack says how many bytes of
 * stack the caller is to give noleak_env_prepare (0: none; it maps its own
 * where it safely can), which fills ne; noleak_env_release undoes it after
 * the call that used ne->env. */
size_t noleak_env_stack(char *const envp[], unsigned plan);
void noleak_env_prepare(struct noleak_newenv *ne, unsigned plan,
			char *const envp[], char *stack, size_t len);
void noleak_env_release(struct noleak_newenv *ne);

/* Sweep before this process execs argv with envp: keeps what they name by
 * number, and fd_to_run (fexecve; -1 for none).  pid is the pid the new
 * program will have (0 when not known), for LISTEN_PID.  Does nothing in a
 * dormant process. */
void noleak_exec_sweep(char *const argv[], char *const envp[],
		       int fd_to_run, long pid);


#endif
