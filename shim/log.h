/* SPDX-License-Identifier: MIT */
/* log.h: the shim's own messages (log.c). */
#ifndef NOLEAK_LOG_H
#define NOLEAK_LOG_H

#include "common.h"

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

#endif
