/* SPDX-License-Identifier: MIT */
/* inspect.h: the commands of noleak-inspect that live in files of their
 * own, which main (noleak-inspect.c) runs, and the form every command
 * gives its messages (message.c).  Each command passes its own name
 * ("noleak watch") to the messages: the files share code, not state. */
#ifndef NOLEAK_INSPECT_H
#define NOLEAK_INSPECT_H

#include <limits.h>
#include <sys/types.h>

/* "ME: ..." on standard error, with a newline. */
void inspect_fail(const char *me, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* inspect_fail, then "Try 'ME --help'..." (a usage error). */
void inspect_usage_error(const char *me, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "ME: cannot read the descriptors of process PID: WHY", WHY from err
 * (ENOENT: "no such process"). */
void inspect_no_descriptors(const char *me, pid_t pid, int err);

/* Standard output, in output.c: s as a JSON string; a pid, or null when
 * it is 0 or less. */
void inspect_json_str(const char *s);
void inspect_json_pid(pid_t pid);

/* The parent chain of pid: "1250 sleep <- 1 init", or with json a JSON
 * array of {pid, name}. */
void inspect_chain(pid_t pid, int json);

/* one when n is 1, else many: "%lu %s", n, inspect_plural(n, "descriptor",
 * "descriptors"). */
const char *inspect_plural(unsigned long n, const char *one, const char *many);

/* ---- the verdict, in verdict.c: did the holder create it? ---------- */

enum verdict {
	VERDICT_OWN,		/* it created it, as far as the kernel shows */
	VERDICT_SHARED,		/* processes of one program share it, by design */
	VERDICT_HANDED,		/* handed over on purpose: stdio, LISTEN_FDS */
	VERDICT_LEAKED,		/* it did not create it, and nobody meant it to */
	VERDICT_UNKNOWN,	/* the evidence does not decide */
};

/* What the kernel shows of how a process came to hold a listening socket
 * or a locked file.  origin_read fills what it reads of the holder; the
 * caller sets source, ancestor, shared, first and lock_kind, then calls
 * origin_judge. */
struct origin {
	pid_t pid;
	int fd;
	char what[PATH_MAX + 128];	/* the resource, for people */
	char name[64];
	char exe[PATH_MAX];
	int cloexec;
	int stdio;		/* held on descriptor 0, 1 or 2 */
	int listen_fds;		/* LISTEN_FDS in its environment */
	int never_listens;	/* its program is one known never to listen */
	pid_t parent;		/* 0: outside this pid namespace, or gone */
	pid_t leader_gone;	/* the leader of its session (or group), exited */
	const char *leader_of;	/* "session" or "process group" */
	pid_t lock_taker;	/* another process took a lock it holds (0: unknown) */
	int lock_exited;	/* ... and has exited */
	char lock[PATH_MAX + 128];	/* that lock, or "" */
	/* Set by the caller: */
	pid_t source;		/* a live holder it came from, or 0 */
	int ancestor;		/* source is its ancestor (else: started first) */
	int shared;		/* every holder runs one program */
	int first;		/* it started first of several holders */
	int passes_on;		/* ... and some of the others were leaked it */
	int lock_kind;		/* the resource is a locked file */
	enum verdict verdict;
};

/* Fill o for descriptor fd of pid, holding what. */
void origin_read(struct origin *o, pid_t pid, int fd, const char *what);

/* Set o->verdict from the evidence in o. */
void origin_judge(struct origin *o);

/* The verdict, each piece of evidence and the next step, lines starting
 * with indent. */
void origin_print(const struct origin *o, const char *indent);

/* The evidence in o as JSON members: ,"never_listens":...,"lock_taker":... */
void origin_json(const struct origin *o);

/* "own", "shared", "handed", "leaked", "cannot tell". */
const char *verdict_name(enum verdict v);

/* 1 when exe (a path) is a program known never to listen. */
int verdict_never_listens(const char *exe);

/* How check prints: text for people, --json, --format=prometheus. */
enum check_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_PROMETHEUS };

/* noleak check --all, in all.c: every listening socket and locked file
 * held by a process that did not create it, across the host. */
int all_main(enum check_format format);

/* noleak watch, in watch.c: is a process leaking? */
int watch_main(int argc, char **argv);

/* The wrapper's question, in loadable.c: can the library be loaded into
 * a program? */
int loadable_main(int argc, char **argv);

/* The wrapper's other question, in keep-check.c: is a --keep argument
 * one the library accepts? */
int keep_check_main(int argc, char **argv);

#endif
