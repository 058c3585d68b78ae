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

/* noleak watch, in watch.c: is a process leaking? */
int watch_main(int argc, char **argv);

/* The wrapper's question, in loadable.c: can the library be loaded into
 * a program? */
int loadable_main(int argc, char **argv);

/* The wrapper's other question, in keep-check.c: is a --keep argument
 * one the library accepts? */
int keep_check_main(int argc, char **argv);

#endif
