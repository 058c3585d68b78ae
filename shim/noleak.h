/* SPDX-License-Identifier: MIT */
/* noleak.h: what the shim's modules share.
 *
 * Every file of the shim includes this header first: it pulls in config.h
 * and turns off the two feature macros that would rename our wrappers
 * (_FILE_OFFSET_BITS=64 makes "open" mean open64; _FORTIFY_SOURCE turns
 * open into an inline function), so each wrapper defines exactly the symbol
 * its name says. */
#ifndef NOLEAK_H
#define NOLEAK_H

#include <config.h>
#undef _FORTIFY_SOURCE
#undef _FILE_OFFSET_BITS

/* Everything that declares a wrapped function (symbols.def needs them). */
#include <dirent.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <unistd.h>
#include <wordexp.h>

/* Only wrappers are exported; everything else is hidden by
 * -fvisibility=hidden, and internal names carry the noleak_ prefix. */
#define NOLEAK_EXPORT __attribute__((visibility("default")))

/* The async-signal-safe zone is whole files: the code that may run
 * between fork (or vfork) and exec, or in a signal handler, uses raw
 * system calls and the stack only (no malloc, stdio, locks, dlsym, getenv
 * or writes to shared state).  The files are listed once, as ZONE_FILES
 * in Makefile.am, and tests/zone.sh checks their object files. */

/* Marks what every process runs, or reads, as the library loads and as it
 * exits: the constructor's callees go with it (.text.hot, next to the
 * constructor's .text.startup at the start of the code), and the few
 * variables into .data, beside what the loader writes for the library's
 * relocations.  Each page touched there is a page fault in every process
 * of a host-wide install (make bench counts them). */
#define NOLEAK_AT_LOAD __attribute__((hot))
#define NOLEAK_LOAD_DATA __attribute__((section(".data")))

/* The shim wraps what programs call, deprecated or not (sigset,
 * sigignore): a deprecation names no fault of ours. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/* Declared by <signal.h> only for X/Open before 2008. */
__sighandler_t bsd_signal(int sig, __sighandler_t handler);

/* Fortify entry points glibc declares only under _FORTIFY_SOURCE. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

/* ---- next.c: the table of next symbols ------------------------------- */

#define NOLEAK_EAGER(name) extern __typeof__(name) *next_##name;
#define NOLEAK_LAZY(name) NOLEAK_EAGER(name)
#define NOLEAK_EXPORT_ONLY(name)
#define NOLEAK_COMPAT(name, version) extern __typeof__(name) *next_##name##_compat;
#include "symbols.def"
#undef NOLEAK_EAGER
#undef NOLEAK_EXPORT_ONLY
#undef NOLEAK_LAZY
#undef NOLEAK_COMPAT

/* The bound next symbol, or NULL while it is not bound yet (before the
 * constructor, or while this thread is binding).  A NULL pointer must make
 * the caller fall back to a raw syscall or fail with ENOSYS: never call
 * dlsym from a wrapper that may run inside an allocator's initialisation. */
#define NEXT(name) __atomic_load_n(&next_##name, __ATOMIC_ACQUIRE)

/* The next symbol, for an exported wrapper, with the library set up first:
 * a process's first call through the library then goes to the next
 * definition like every later one, not to a wrapper's raw system call
 * fallback (which is no cancellation point: a thread cancelled in its
 * first open() of a FIFO never ended).  NULL only while the library is
 * being set up (a wrapper entered again from dlsym's allocations). */
#define NEXT_SET_UP(name) (noleak_asleep(), NEXT_BOUND(name))

/* The next symbol, looked up now if it is not bound yet: for lazy symbols,
 * and for wrappers that cannot fall back to a raw system call.  NULL only
 * when the symbol does not exist or this thread is inside start-up. */
#define NEXT_BOUND(name) ({                                         \
	__typeof__(next_##name) next_ = NEXT(name);                 \
	if (!next_)                                                 \
		next_ = (__typeof__(next_##name))noleak_next_lookup(  \
			(void **)&next_##name, #name);                \
	next_;                                                      \
})

/* Bind *slot to the next definition of name (not ours) and return it. */
void *noleak_next_lookup(void **slot, const char *name);

/* A once-only initialisation that tolerates re-entry and forks:
 * noleak_once_enter returns 1 to the one caller that must run it (which
 * then calls noleak_once_leave), and 0 to everyone else once it is done,
 * or at once to a caller re-entering from inside it (a signal handler, an
 * allocator's initialisation under dlsym); with wait 0, also at once to a
 * caller that finds another thread running it.  A runner that is not in
 * the process (the child of a fork made while it ran) is replaced: the
 * caller runs it again. */
struct noleak_once {
	int state;	/* 0 undone, -1 done, else the runner's thread id */
};
int noleak_once_enter(struct noleak_once *once, int wait);
void noleak_once_leave(struct noleak_once *once);

/* Bind every next symbol once.  Safe to call from any thread, many times;
 * a call made while this thread is already binding returns at once. */
void noleak_next_bind(void);

/* ---- policy.c: pure decisions, unit-tested without preloading -------- */

enum { NOLEAK_KEEP_MAX = 64, NOLEAK_RESOURCE_MAX = 16 };

struct noleak_range {
	int lo, hi;		/* inclusive */
};

/* A keep-list entry that names what a descriptor is, not its number. */
enum noleak_resource_kind {
	NOLEAK_RES_TCP, NOLEAK_RES_UDP, NOLEAK_RES_UNIX, NOLEAK_RES_PATH
};

struct noleak_resource {
	enum noleak_resource_kind kind;
	unsigned port;			/* tcp, udp */
	int family;			/* AF_INET or AF_INET6 with an address,
					   0 for any address */
	unsigned char addr[16];		/* network order */
	char text[108];			/* unix: the path; path: the glob */
};

struct noleak_keep {
	size_t n;
	struct noleak_range range[NOLEAK_KEEP_MAX];
	size_t nres;
	struct noleak_resource res[NOLEAK_RESOURCE_MAX];
	int no_numbers;		/* set by the caller: skip number entries */
};

/* Called once for each entry of a list that cannot be used. */
typedef void noleak_complaint_fn(void *ctx, const char *entry, size_t len,
				 const char *why);

/* Parse a keep-list ("3,7-9,tcp:8080"): comma-separated numbers, inclusive
 * ranges, and resources: tcp:PORT, tcp:ADDR:PORT, udp:PORT, udp:ADDR:PORT
 * (ADDR dotted IPv4 or [IPv6]), unix:PATH and path:GLOB.  Valid entries
 * are added to *keep (numbers only unless keep->no_numbers); each bad one
 * is passed to complain (may be NULL) and skipped.  Returns the number of
 * bad entries. */
size_t noleak_keep_parse(const char *spec, struct noleak_keep *keep,
			 noleak_complaint_fn *complain, void *ctx);

/* Whether fd is covered by keep. */
int noleak_keep_has(const struct noleak_keep *keep, int fd);

/* Whether text matches the shell-style pattern: '*' any run of characters
 * ('/' included), '?' any one, '\\' quotes the next; everything else
 * stands for itself.  Allocates nothing. */
int noleak_glob_match(const char *pattern, const char *text);

/* Write into buf (of size len) a copy of an fopen or popen mode that asks
 * for close-on-exec: 'e' inserted after the first character.  Returns buf,
 * or mode itself when it already has 'e', does not fit, or would lose a
 * flag glibc reads (the seventh character moves out of its reach). */
const char *noleak_mode_cloexec(const char *mode, char *buf, size_t len);

/* Whether glibc's fopen opens with O_CLOEXEC for mode: an 'e' among the
 * six characters after the first (libio/fileops.c). */
int noleak_mode_has_cloexec(const char *mode);

/* Descriptors a new program is told about by number. */
enum { NOLEAK_FDSET_MAX = 64 };

struct noleak_fdset {
	size_t n;
	int fd[NOLEAK_FDSET_MAX];
};

/* The hand-over conventions: every way a program tells the program it
 * starts about a descriptor, as one table (policy.c). */
enum noleak_conv_kind {
	/* A word of the command line. */
	NOLEAK_CONV_ARG_OPTION,		/* NAME N, NAME=N; "fd": any option
					   whose name ends in fd */
	NOLEAK_CONV_ARG_PATH,		/* NAMEN as a path of its own */
	NOLEAK_CONV_ARG_PREFIX,		/* NAMEN as a word, or after = */
	NOLEAK_CONV_ARG_SHELL_DUP,	/* a shell's N<&M, >&M */
	NOLEAK_CONV_ARG_COLONS,		/* N:N[:N] */
	/* A variable of the new program's environment. */
	NOLEAK_CONV_ENV_COUNT,		/* N descriptors from 3 (LISTEN_FDS) */
	NOLEAK_CONV_ENV_LIST,		/* numbers split by any of syntax;
					   "KEY=N" gives N */
	NOLEAK_CONV_ENV_KEYS,		/* the KEY=N fields (KEY one of the
					   words of syntax), split by ; and | */
	NOLEAK_CONV_ENV_JOBSERVER,	/* --jobserver-auth=R,W, pipes only */
	/* A rule about the program that is running. */
	NOLEAK_CONV_PROGRAM_SHELL,	/* left alone; passes protection on */
	NOLEAK_CONV_PROGRAM_LAUNCHER,	/* passes protection to what it forks
					   and runs */
	NOLEAK_CONV_PROGRAM_LOCKS,	/* its file locks reach its child */
	NOLEAK_CONV_PROGRAM_HELPER,	/* is given what it would get without
					   the shim, and closes the rest */

	NOLEAK_CONV_ARG_FIRST = NOLEAK_CONV_ARG_OPTION,
	NOLEAK_CONV_ARG_LAST = NOLEAK_CONV_ARG_COLONS,
	NOLEAK_CONV_ENV_FIRST = NOLEAK_CONV_ENV_COUNT,
	NOLEAK_CONV_ENV_LAST = NOLEAK_CONV_ENV_JOBSERVER,
	NOLEAK_CONV_PROGRAM_FIRST = NOLEAK_CONV_PROGRAM_SHELL,
};

enum {
	NOLEAK_CONV_NOCASE = 1,	/* the program matches NAME in any case */
	NOLEAK_CONV_ONLY = 2,	/* only in the command line of program */
};

struct noleak_convention {
	const char *program;	/* who speaks it (NULL: many programs) */
	enum noleak_conv_kind kind;
	const char *name;	/* the option, prefix, variable or program */
	const char *syntax;	/* for ENV_LIST, ENV_KEYS: see above */
	const char *form;	/* what it looks like, for people */
	unsigned flags;		/* NOLEAK_CONV_* */
	const char *source;	/* where the speaker's source says so */
};

/* The table, and how many entries it has. */
size_t noleak_conventions(const struct noleak_convention **table);

/* The PROGRAM rules for a program of that file name: bit (kind -
 * NOLEAK_CONV_PROGRAM_FIRST) for each. */
unsigned noleak_program_rules(const char *name);
#define NOLEAK_RULE(kind) (1U << (NOLEAK_CONV_##kind - NOLEAK_CONV_PROGRAM_FIRST))

/* Add to set the descriptors (>= 3) that a command line names by one of
 * the conventions (argv[0] is the program, and says which of the
 * program-only forms apply).  Words are split on white space, so "sh -c
 * 'gpg --passphrase-fd 5'" counts.  A number on its own ("sleep 5"), a
 * time ("14:05") or a path that only contains /dev/fd/5 names nothing. */
void noleak_fds_in_args(char *const *argv, struct noleak_fdset *set);

/* The same for a shell command (system, popen): its first word is the
 * program. */
void noleak_fds_in_command(const char *command, struct noleak_fdset *set);

/* Add to set the descriptors the environment conventions in envp pass.
 * LISTEN_FDS counts when LISTEN_PID is unset or names the new program:
 * pid > 0 is the new program's pid; pid < 0, when it is not known yet,
 * says only that it is not -pid (so sockets for the caller itself stay
 * with it); 0 says nothing. */
void noleak_fds_in_env(char *const *envp, long pid, struct noleak_fdset *set);

/* Add to set the two descriptors of GNU make's jobserver named in MAKEFLAGS,
 * MFLAGS or CARGO_MAKEFLAGS.  make leaves those variables set for programs
 * it did not give the pipe to, so the numbers may name anything: the
 * caller keeps only the ones that are pipes (noleak_keep_pipes). */
void noleak_fds_in_makeflags(char *const *envp, struct noleak_fdset *set);

int noleak_fdset_has(const struct noleak_fdset *set, int fd);

/* The hand-over variables as the process found them at start (a digest of
 * each value; 0 when unset).  When noleak_handover_start points to one
 * (under secure execution), noleak_fds_in_env and noleak_fds_in_makeflags
 * count a variable only if the program set it itself: absent at start, or
 * with another value now.  LISTEN_PID only narrows, so it always counts. */
enum { NOLEAK_HANDOVER_VARS = 96 };
struct noleak_handover {
	unsigned long long digest[NOLEAK_HANDOVER_VARS];
};
void noleak_handover_record(char *const *envp, struct noleak_handover *start);
extern const struct noleak_handover *noleak_handover_start;

/* Copy envp into out (capacity max, NULL-terminated), with every
 * LD_PRELOAD entry whose file name is base taken out, the others kept in
 * order; the rewritten LD_PRELOAD goes in buf (of size len), and is dropped
 * when nothing is left.  An LD_PRELOAD too long for buf is kept as it is.
 * Returns the number of variables.  Allocates nothing. */
size_t noleak_env_strip(char *const *envp, const char *base, char **out,
			size_t max, char *buf, size_t len);

/* What an exec or spawn changes in the new program's environment. */
enum {
	NOLEAK_ENV_STRIP = 1,	/* the shim out of LD_PRELOAD (process scope) */
	NOLEAK_ENV_OWNER = 2,	/* _NOLEAK_PID out: the new program is the
				   daemon (or stands in for it) */
	NOLEAK_ENV_CARRY = 4,	/* the library's variables back in, where the
				   caller built the environment without them */
	NOLEAK_ENV_REEXEC = 8,	/* _NOLEAK_REEXEC=LIST: the descriptors whose
				   close-on-exec the shim took off for an exec
				   in place of the daemon's own executable, to
				   mark again */
	NOLEAK_ENV_LISTENERS = 16,	/* with REEXEC: its listening sockets
				   too (the same arguments: a reload) */
};

/* Copy envp into out (capacity max pointers, NULL-terminated) as plan
 * says, using buf (of size len) for the strings it writes: reexec is the
 * list for NOLEAK_ENV_REEXEC; carry the "NAME=value" strings for
 * NOLEAK_ENV_CARRY (NULL-terminated), each added unless envp has NAME.
 * Returns the number of variables, or (size_t)-1 when out or buf is too
 * small.  Allocates nothing. */
size_t noleak_env_rewrite(char *const *envp, unsigned plan, const char *base,
			  const char *reexec, char *const *carry, char **out,
			  size_t max, char *buf, size_t len);

/* A digest of argv[1], argv[2]... (not argv[0]: a re-exec may name the
 * program another way), never 0. */
NOLEAK_AT_LOAD unsigned long long noleak_args_digest(char *const *argv);

/* Whether the LD_PRELOAD value value (NULL: none) has an entry whose file
 * name is base (the entries split as the loader splits them, on spaces
 * and colons).  Calls nothing, not even the C library's string functions:
 * the constructor asks it. */
int noleak_preload_names(const char *value, const char *base);

/* The same of envp's LD_PRELOAD.  Allocates nothing. */
int noleak_env_has_lib(char *const *envp, const char *base);

/* One line of the configuration file (noleak.conf(5) in libnoleak(7)):
 * its number, and key and value without the blanks around them.  For a
 * malformed line, key is the whole line and value is empty. */
struct noleak_conf_line {
	int line;
	const char *key;
	size_t key_len;
	const char *value;
	size_t value_len;
};

/* Called for each setting that applies, why NULL, and for each malformed
 * line, why saying what is wrong. */
typedef void noleak_conf_fn(void *ctx, const struct noleak_conf_line *l,
			    const char *why);

/* Walk the configuration text [text, text+len): "KEY = VALUE" lines before
 * the first section apply to every program, those in a section
 * "[/path/of/a/program]" only to the program whose executable is exe
 * (NULL: none); "#" starts a comment line.  In file order, so a program's
 * section comes after, and overrides, what applies to all.  Allocates
 * nothing and changes nothing. */
void noleak_conf_walk(const char *text, size_t len, const char *exe,
		      noleak_conf_fn *fn, void *ctx);

/* The index of value in names (NULL-terminated), or -1. */
int noleak_choose(const char *value, const char *const *names);

/* What NOLEAK_LOG's value asks for: NOLEAK_LOG_STDERR (unset, empty or
 * "stderr"), NOLEAK_LOG_SYSLOG, or NOLEAK_LOG_FILE (an absolute path
 * shorter than max); -1 with *why saying what is wrong otherwise. */
int noleak_log_parse(const char *value, size_t max, const char **why);

/* A process id written as decimal digits only, or 0. */
long noleak_pid_parse(const char *value);

/* ---- config.c: the process's configuration, read once ---------------- */

/* This process forked child: if it is the one to say the summary, the
 * child is its heir (a daemon going to the background). */
void noleak_summary_forked(long child);

enum noleak_scope { NOLEAK_SCOPE_PROCESS, NOLEAK_SCOPE_TREE };
enum noleak_mode { NOLEAK_MODE_ENFORCE, NOLEAK_MODE_AUDIT, NOLEAK_MODE_OFF };

struct noleak_config {
	struct noleak_keep keep;	/* NOLEAK_KEEP, when it is ours */
	enum noleak_scope scope;	/* NOLEAK_SCOPE */
	int restore_signals;		/* NOLEAK_SIGNALS=restore */
	enum noleak_mode mode;		/* NOLEAK_MODE */
	char name[32];			/* this program's short name */
	long owner;			/* _NOLEAK_PID: the process noleak
					   was started with */
	long self;			/* this process, when it started: an
					   exec from another pid is a child's */
	char libbase[64];		/* our file name, for LD_PRELOAD */
	unsigned long mask_at_start;	/* the blocked mask at start */
	unsigned long long args_digest;	/* of argv[1...] at start, 0 when not
					   known (noleak_args_digest) */
	unsigned rules;			/* the table's rules for this program:
					   NOLEAK_RULE(...) bits */
	int hostwide;			/* loaded by /etc/ld.so.preload, not
					   named in LD_PRELOAD: every process
					   is its own owner */
	char *carry[9];			/* copies of LD_PRELOAD and NOLEAK_*
					   as found at start ("NAME=value"),
					   for NOLEAK_ENV_CARRY;
					   NULL-terminated */
};

extern struct noleak_config noleak_config;

/* Set when this process is to be left exactly as without the shim: a
 * descendant in the process scope, or a shell (whose "cmd 3<file" opens
 * straight onto 3 and relies on it being inherited).  Wrappers then add
 * nothing and sweep nothing. */
extern int noleak_dormant;

/* Set in NOLEAK_MODE=audit, where the process is otherwise dormant: each
 * exec reports what enforce would have marked, and changes nothing. */
extern int noleak_audit;

/* Set when NOLEAK_LOG names a log: enforce then reports what it stops. */
extern int noleak_log_set;

/* The flags to create with: flags plus bit, unless the program asked for
 * it already or the shim is dormant.  *added says whether bit is ours. */
/* Set everything up (next symbols, configuration, the descriptors inherited
 * at start-up).  Runs at the first wrapper that needs it, never at load
 * unless reports are asked for: most processes never need it.
 * Idempotent and thread-safe; a call from inside it (dlsym can allocate,
 * and an allocator's start-up can open a file) returns at once. */
void noleak_init(void);

/* Set once noleak_init has run. */
extern int noleak_ready;

/* Set once a seccomp filter is in force (wrap-sandbox.c): installed
 * through prctl or syscall, or found when a call the library put in place of the
 * program's was refused with ENOSYS or EPERM.  From then on the library
 * makes only the system calls the program makes itself: no call of its
 * own, none substituted (accept stays accept, dup stays dup), no sweep, no
 * environment rewriting, no report; flags it can add within the same call
 * (O_CLOEXEC, SOCK_CLOEXEC...) it still adds. */
extern int noleak_sandboxed;

/* errno err from a call the library made in place of the program's
 * (accept4 for accept, pipe2 for pipe...): whether it says a filter
 * refused the call (ENOSYS; EPERM where the call itself never gives it,
 * eperm 1).  If so, the library is sandboxed from now on, and says once
 * what protection is lost. */
int noleak_refused(int err, int eperm);

/* Whether the process started under a seccomp filter, asked at load with
 * only the calls the loader made (wrap-sandbox.c). */
NOLEAK_AT_LOAD int noleak_filtered_from_start(void);

/* A seccomp filter is about to be installed: set up and bind while every
 * system call is still allowed, and, when reports are on, say once what
 * protection is lost. */
void noleak_sandbox_entering(void);

/* Whether the shim leaves this process as it is (noleak_dormant), set up
 * first if need be: what every wrapper asks before it adds anything. */
static inline int noleak_asleep(void)
{
	if (__builtin_expect(!__atomic_load_n(&noleak_ready, __ATOMIC_ACQUIRE), 0)) {
		noleak_init();
		/* Still not: a signal handler that interrupted the set-up.
		 * Left as without the library, which loses nothing: the
		 * census was taken at load. */
		if (!__atomic_load_n(&noleak_ready, __ATOMIC_ACQUIRE))
			return 1;
	}
	return noleak_dormant;
}

static inline int noleak_want(int flags, int bit, int *added)
{
	*added = !noleak_asleep() && !(flags & bit);
	return *added ? flags | bit : flags;
}

/* ---- intent.c: what the program said about inheritance --------------- */

/* The program made fd inheritable on purpose (F_SETFD without FD_CLOEXEC,
 * FIONCLEX, dup2 or dup3 onto it).  Numbers at or above NOLEAK_ADDED_MAX
 * are kept from the lowest such one up. */
void noleak_intent_keep(int fd);

/* The program set close-on-exec on fd itself: forget any intent. */
void noleak_intent_drop(int fd);

/* The program set (inherit 0) or cleared (inherit 1) close-on-exec on fd
 * itself, by fcntl F_SETFD, ioctl FIOCLEX/FIONCLEX or dup2/dup3 onto it:
 * the flag is the program's from now on, and intent is kept or dropped. */
void noleak_intent_said(int fd, int inherit);

/* dup2 or dup3 put a new descriptor on fd: where it was made, and
 * noleak_intent_said. */
void noleak_dup_onto(int fd, int inherit);

/* The program set close-on-exec on every descriptor from lo to hi itself
 * (close_range with CLOSE_RANGE_CLOEXEC): forget their intent, and that
 * the shim ever added the flag to any of them. */
void noleak_intent_drop_range(unsigned int lo, unsigned int hi);

/* The descriptor at fd, or every one from lo to hi, is being closed (or
 * replaced) through the library: forget what the shim added there, where
 * it was made, and any intent.  No system call unless intent was recorded
 * there (then one getpid: a vfork child never clears its parent's). */
void noleak_fd_closed(int fd);
void noleak_fds_closed(unsigned int lo, unsigned int hi);

/* The census of the descriptors open and inheritable now, at start-up,
 * by the constructor: they are what the process inherited.  One poll(2)
 * for the first 64 numbers and one select(2) to learn whether the
 * table goes further; beyond, /proc/self/fd, or the numbers below cap. */
void noleak_census(long cap);

/* The process whose descriptor table the records describe: the one the
 * library started in, or the child of a fork made through the library.
 * Clearing intent is left to it (a vfork child shares the records). */
void noleak_table_own(long pid);

/* Whether fd (>= 3) is inheritable by intent: inherited at start-up or made
 * so by the program, and not closed through the library since. */
int noleak_intent_has(int fd);

/* The lowest number >= from kept by intent, or -1; *hi gets the last number
 * of the run it starts (itself, or INT_MAX where intent was lost).  Stack
 * only, no system call. */
int noleak_intent_next(int from, int *hi);

enum { NOLEAK_ADDED_MAX = 65536 };

/* Record whether the shim, not the program, put close-on-exec on the
 * descriptor fd holds now: only such a flag may ever be undone by the
 * shim.  A bit per number, forgotten when the descriptor is closed. */
void noleak_added_set(int fd, int added);
int noleak_added_test(int fd);

/* Take off every close-on-exec flag the shim added: in the child of
 * noleak_spawn, for a helper that must receive what it would without the
 * shim. */
void noleak_added_clear_all(void);

/* For an exec in place of the daemon's own executable (a reload), after
 * the sweep: the numbers that reach the new image with the flag the shim
 * added taken off, so that the new image marks them again as its own
 * instead of taking them for inherited (config.c): those the sweep kept
 * because the new image is told about them (HAProxy's master passes its
 * socketpairs in HAPROXY_PROCESSES and -x sockpair@N) and, with
 * listeners (the same arguments too), the listening sockets, the
 * daemon's own listeners, whose flag comes off here: it may look for them
 * again by scanning its descriptors (uWSGI).  Writes the numbers into buf
 * (of size len) as "3-5,9", cut short at the last whole range that fits.
 * Returns the length written. */
size_t noleak_added_reexec_list(char *buf, size_t len,
				int listeners);

/* Put close-on-exec on the numbers of such a list, as the shim's own flag:
 * after a failed exec, and in the new program (config.c). */
void noleak_added_mark_list(const char *list);

/* The same for the numbers from lo to hi only (what a keep-list or a
 * command line names). */
void noleak_added_clear_range(int lo, int hi);

/* Bookkeeping for a descriptor a wrapper has just created.  added says
 * whether the shim asked for close-on-exec the program did not ask for.
 * A result of 0, 1 or 2 never keeps the shim's flag (the daemonize idiom
 * and "close(1); dup(fd)" land there on purpose).  Returns fd; errno is
 * preserved. */
int noleak_track_new(int fd, int added);

/* For a descriptor a composite (openpty, glibc's tmpfile) made without
 * close-on-exec: mark it now, as the shim's own flag.  0-2 are left
 * alone; errno is untouched. */
void noleak_mark_new(int fd);

struct noleak_line;

/* ---- intent.c: where descriptors were made, for reports -------------- */

/* Set when reports are on (NOLEAK_MODE=audit, or NOLEAK_LOG set): only then
 * do wrappers note where each descriptor was made. */
extern int noleak_reporting;

/* The creating call and its caller, noted by the exported wrapper and
 * taken by noleak_track_new for the descriptor it makes. */
struct noleak_site {
	const char *call;
	void *caller;
};
extern __thread struct noleak_site noleak_pending
	__attribute__((tls_model("initial-exec")));

/* First statement of every exported wrapper that may make a descriptor:
 * two stores to thread-local memory when reports are on, a test when not. */
#define NOLEAK_SITE(name)                                                \
	do {                                                             \
		if (noleak_reporting) {                                  \
			noleak_pending.call = #name;                     \
			noleak_pending.caller = __builtin_return_address(0); \
		}                                                        \
	} while (0)

enum { NOLEAK_SITE_MAX = 4096 };

/* Where fd was made, if it is below NOLEAK_SITE_MAX and was noted; 0 or -1. */
int noleak_site_get(int fd, struct noleak_site *site);

#include "fds.h"
#include "signals.h"
#include "sweep.h"
#include "describe.h"
#include "report.h"

/* ---- exec.c ----------------------------------------------------------- */

/* Sweep before this process execs argv with envp: keeps what they name by
 * number, and fd_to_run (fexecve; -1 for none).  pid is the pid the new
 * program will have (0 when not known), for LISTEN_PID.  Does nothing in a
 * dormant process. */
void noleak_exec_sweep(char *const argv[], char *const envp[],
		       int fd_to_run, long pid);

/* ---- spawn.c: children that sweep their own table ------------------- */

/* What the child of noleak_spawn is to do with its attributes: the
 * caller's posix_spawnattr_t read through the public getters (signal sets
 * as bit s-1), or the shim's own for system(). */
struct noleak_spawn_attr {
	short flags;			/* POSIX_SPAWN_* */
	pid_t pgroup;
	int policy;
	struct sched_param param;
	unsigned long sigdefault;	/* with POSIX_SPAWN_SETSIGDEF */
	unsigned long sigmask;		/* with POSIX_SPAWN_SETSIGMASK */
};

enum { NOLEAK_SPAWN_USE_PATH = 1, NOLEAK_SPAWN_TRY_SHELL = 2 };

/* noleak_spawn's answer when the kernel refused clone(2) itself: nothing
 * was started, and the caller is to go through glibc instead (and so will
 * every later caller: noleak_spawn_usable says no from then on). */
enum { NOLEAK_SPAWN_REFUSED = -1 };

/* Whether noleak_spawn can carry out actions and attr on this glibc: it
 * reads the file actions' internal layout (2.34 to 2.42) and knows the
 * attribute flags up to POSIX_SPAWN_SETSID.  When not, the caller goes
 * through glibc's own posix_spawn. */
int noleak_spawn_usable(const posix_spawn_file_actions_t *actions,
			const posix_spawnattr_t *attr);

/* Read attr (may be NULL) into out. */
void noleak_spawn_attr_read(const posix_spawnattr_t *attr,
			    struct noleak_spawn_attr *out);

/* For glibc's own posix_spawn: attr itself when a says nothing new about
 * signals, else a copy of it in mine with a's flags and signal sets. */
const posix_spawnattr_t *noleak_spawn_attr_write(const posix_spawnattr_t *attr,
						 const struct noleak_spawn_attr *a,
						 posix_spawnattr_t *mine);

/* posix_spawn, done by the shim: the child resets signals, applies attr,
 * sweeps its own copy of the table (keeping named, the keep-list and the
 * recorded intent; with helper, it takes off the shim's own flags
 * instead), runs the file actions and execs, with envp changed as plan
 * (NOLEAK_ENV_*) says.  With report (the program's name),
 * the child first reports what it stops.  xflags: NOLEAK_SPAWN_*.
 * Returns 0 and the child's pid in *pid (may be NULL), an error number, or
 * NOLEAK_SPAWN_REFUSED; errno is left as the calls made it.  Nothing in this process's table
 * changes, and no lock is held. */
int noleak_spawn(pid_t *pid, const char *file, int xflags,
		 const posix_spawn_file_actions_t *actions,
		 const struct noleak_spawn_attr *attr, char *const argv[],
		 char *const envp[], const struct noleak_fdset *named,
		 int helper, unsigned plan, const char *report);

/* ---- raw system calls, for the async-signal-safe zone ---------------- */

/* Returns the kernel's result: a value, or -errno.  errno is untouched. */
NOLEAK_AT_LOAD long noleak_raw(long nr, long a, long b, long c, long d, long e);
int noleak_raw_getfd(int fd);

/* Call fn(arg) with the stack pointer at top (the end of a mapped region,
 * which the caller owns), and come back to the caller's own stack. */
void noleak_call_on_stack(void (*fn)(void *), void *arg,
			  void *top);

/* Call fn(arg) on a stack of size bytes mapped for the call and unmapped
 * after it (in a vfork child, the mapping lands in the parent and is gone
 * before the parent resumes).  Returns 0, or -1 when nothing could be
 * mapped and fn did not run. */
int noleak_on_own_stack(void (*fn)(void *), void *arg, size_t size);

/* Turn a noleak_raw result into the libc convention (-1 and errno). */
static inline long noleak_raw_result(long ret)
{
	extern int *__errno_location(void);

	if (ret < 0 && ret > -4096) {
		*__errno_location() = (int)-ret;
		return -1;
	}
	return ret;
}
int noleak_raw_setfd(int fd, int flags);

/* ---- log.c: the shim's own messages ---------------------------------- */

/* An async-signal-safe line builder: strings and numbers appended into a
 * fixed buffer, written with one write(2).  Overlong lines are cut. */
struct noleak_line {
	size_t len;
	char buf[512];
};

void noleak_line_str(struct noleak_line *l, const char *s);
void noleak_line_mem(struct noleak_line *l, const char *s, size_t n);
void noleak_line_int(struct noleak_line *l, long v);

/* Start a line with "noleak[PID]: ". */
void noleak_line_begin(struct noleak_line *l);

/* Where lines go (NOLEAK_LOG): set once at start-up, by config.c. */
enum noleak_log_to { NOLEAK_LOG_STDERR, NOLEAK_LOG_SYSLOG, NOLEAK_LOG_FILE };
enum { NOLEAK_LOG_PATH_MAX = 1024 };
extern enum noleak_log_to noleak_log_to;
extern char noleak_log_path[NOLEAK_LOG_PATH_MAX];

/* Set where nobody asked for lines on standard error (the library loaded
 * host-wide, logging to syslog by default): a line syslog cannot take is
 * dropped rather than written into the program's own stderr. */
extern int noleak_log_no_stderr;

/* Open the log file path to append to: created 0600, close-on-exec, and
 * never through a symbolic link; never waits (O_NONBLOCK), and only a
 * regular file is kept open.  Returns the descriptor, -errno, or
 * NOLEAK_LOG_NOT_REGULAR for a FIFO, socket or device. */
enum { NOLEAK_LOG_NOT_REGULAR = -4096 };
int noleak_log_open(const char *path);

/* Keep fd, open on the log file, as the library's own descriptor to it:
 * moved to a high number (seven eighths of the soft limit, at most 1024,
 * or the first free from 3), close-on-exec, so a worker that forks from
 * this process and changes user still writes through it.  Returns the
 * descriptor's number, or -1 (fd is left as it was) when fd is not open. */
int noleak_log_hold(int fd);

/* In a fork's child (a pthread_atfork handler): the held descriptor is in
 * this process's table now, for it to reopen on rotation. */
void noleak_log_forked(void);

/* Record what descriptor 2 is (device, inode, file type), or that it is
 * closed: the standard error lines may go to.  noleak_init calls it first,
 * in every process the library starts in. */
void noleak_log_note_stderr(void);

/* Write the line (a newline is added) where NOLEAK_LOG says: standard
 * error, syslog (facility daemon), or the log file, through the held
 * descriptor (reopened by path when the file was rotated away or the
 * descriptor closed).  Standard error only while descriptor 2 is still
 * the file noleak_log_note_stderr saw; otherwise the line is dropped.
 * A log file that takes nothing (and no standard error of the daemon's
 * own but /dev/null): the line goes to syslog, with once in the process a
 * line saying why.  errno is untouched. */
void noleak_line_emit(struct noleak_line *l);

#endif /* NOLEAK_H */
