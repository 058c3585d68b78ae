/* SPDX-License-Identifier: MIT */
/* signals.h: what the program did to its signals, and who forked it
 * (signals.c), for the exec that follows. */
#ifndef NOLEAK_SIGNALS_H
#define NOLEAK_SIGNALS_H

#include "common.h"

/* The kernel's struct sigaction, for reading and setting dispositions
 * without libc. */
struct noleak_kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

/* The signals (bit s-1) the program has set to be ignored since it
 * started: one rt_sigaction per signal it has changed so far. */
unsigned long noleak_sig_ignored_since_start(void);

/* Record signal sig as about to be changed.  Async-signal-safe. */
void noleak_sig_touch(int sig);

/* In the child of fork (parent: the pid that called fork): what this
 * process changes from now on, and the mask it has now, are its own
 * set-up for its own exec. */
void noleak_forked(long parent);

/* The pid that forked this process through the fork wrapper, or 0 when
 * it was made some other way (vfork, clone) or not known. */
long noleak_forked_from(void);

/* For an exec by a process that came out of a fork (not an exec in place
 * by the process the shim started in): the signals to set back to their
 * default (*reset, bit s-1: ignored since start-up, and not changed by
 * this process since its fork), and the mask to exec with (*mask: the
 * start-up one, with what this process blocked since its fork still
 * blocked; the start-up one alone when the fork is not known).
 * start_mask is the mask at start-up. */
void noleak_sig_inherited(unsigned long start_mask,
			  unsigned long *reset,
			  unsigned long *mask);

#endif
