/* SPDX-License-Identifier: MIT */
/* inspect.h: what the commands of noleak-inspect share. */
#ifndef NOLEAK_INSPECT_H
#define NOLEAK_INSPECT_H

#include <stdio.h>
#include <sys/types.h>

/* The command's name in messages ("noleak check", "noleak watch"). */
extern const char *inspect_me;

/* "noleak check: ..." on standard error, with a newline. */
void inspect_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* inspect_fail, then "Try 'noleak check --help'..." (a usage error). */
void inspect_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Fields of /proc/PID/stat: state, parent and start time (clock ticks
 * since boot); any may be NULL.  0, or -1 when the process is gone. */
int inspect_stat(pid_t pid, char *state, pid_t *ppid, unsigned long long *start);

/* Read a whole small file into buf (NUL-terminated); -1 with errno. */
ssize_t inspect_slurp(const char *path, char *buf, size_t len);

/* The command name of pid, or "?" when it is gone. */
void inspect_comm(pid_t pid, char *buf, size_t len);

/* noleak watch, in watch.c. */
int watch_main(int argc, char **argv);

/* The wrapper's question, in loadable.c: can the library be loaded into
 * a program? */
int loadable_main(int argc, char **argv);

#endif
