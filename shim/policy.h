/* SPDX-License-Identifier: MIT */
/* policy.h: pure decisions (policy.c), unit-tested without preloading:
 * the keep-list, the hand-over conventions, environment rewriting, the
 * configuration file's grammar. */
#ifndef NOLEAK_POLICY_H
#define NOLEAK_POLICY_H

#include "common.h"

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
	int section;		/* in a [/path] section (the program's own) */
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

#endif
