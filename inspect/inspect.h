/* SPDX-License-Identifier: MIT */
/* inspect.h: the commands of noleak-inspect that live in files of their
 * own, which main (noleak-inspect.c) runs, and the form every command
 * gives its messages (message.c).  Each command passes its own name
 * ("noleak watch") to the messages: the files share code, not state. */
#ifndef NOLEAK_INSPECT_H
#define NOLEAK_INSPECT_H

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

/* noleak check --all, in all.c: every listening socket and locked file
 * held by a process that did not create it, across the host. */
int all_main(int json);

/* noleak watch, in watch.c: is a process leaking? */
int watch_main(int argc, char **argv);

/* The wrapper's question, in loadable.c: can the library be loaded into
 * a program? */
int loadable_main(int argc, char **argv);

/* The wrapper's other question, in keep-check.c: is a --keep argument
 * one the library accepts? */
int keep_check_main(int argc, char **argv);

#endif
