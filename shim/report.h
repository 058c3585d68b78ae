/* SPDX-License-Identifier: MIT */
/* report.h: the lines of a report at an exec, and the summary's counters
 * (report.c). */
#ifndef NOLEAK_REPORT_H
#define NOLEAK_REPORT_H

#include "common.h"
#include "policy.h"

/* What a report is of (how, below). */
enum {
	NOLEAK_REPORT_ENFORCE = 1,	/* "stopped", not "would leak" */
	/* An exec in place of the daemon's own program with its own
	 * arguments, a reload: its listening sockets reach the new image on
	 * purpose (libnoleak(7), R7), so they are no strays. */
	NOLEAK_REPORT_RELOAD = 2
};

/* Report, one line each, the descriptors >= 3 that are not kept and
 * lack close-on-exec (what noleak_sweep would mark), naming the daemon
 * (name, pid), what the descriptor is, and program (the new program, or
 * the command of system and popen).  With NOLEAK_REPORT_ENFORCE in how,
 * it reports them as stopped, and also those whose close-on-exec the shim
 * added at creation (never those the program made close-on-exec itself).
 * At most 16 lines describe descriptors; any beyond are counted in one
 * "... and N more" line.  Changes nothing; errno is untouched.  Returns
 * how many it counted. */
size_t noleak_report_strays(const struct noleak_keep *keep,
			    const struct noleak_fdset *named,
			    const char *name, long pid,
			    const char *program, unsigned how);

/* One row of the summary: a descriptor as the reports described it, the
 * program it went to, and how many times.  state: 0 free, 1 being filled,
 * 2 ready (a process filling it may be another: rows are taken with an
 * atomic exchange, and a row two processes filled alike is summed at
 * exit). */
enum { NOLEAK_SUMMARY_ROWS = 32, NOLEAK_SUMMARY_WHAT = 128,
       NOLEAK_SUMMARY_INTO = 64 };
struct noleak_summary_row {
	int state;
	unsigned long times;
	char what[NOLEAK_SUMMARY_WHAT];
	char into[NOLEAK_SUMMARY_INTO];
};

/* What the reports counted, for the summary at exit: programs started
 * and descriptors reported, and which (rows: the first 32 distinct
 * descriptor and program pairs; unlisted counts the rest, and those a
 * spawn counted but did not describe).  NULL unless reports are on: the
 * constructor maps it then, shared with forked children. */
struct noleak_counts {
	unsigned long programs;
	unsigned long descriptors;
	unsigned long unlisted;
	struct noleak_summary_row rows[NOLEAK_SUMMARY_ROWS];
	long speaker;		/* who says the summary: the process noleak
				   was given to, or the copy it forked and
				   left running (a daemon going to the
				   background) */
	long heir;		/* the speaker's latest fork that has not
				   started another program, or 0 */
};
extern struct noleak_counts *noleak_counts;

/* The lines after the summary's first: one per row, "(WHAT) would have
 * leaked into PROGRAM, N times" (audit) or "(WHAT) kept from PROGRAM, N
 * times", then "... and N more descriptors, not listed" for the rest. */
void noleak_summary_rows(int audit);

#endif
