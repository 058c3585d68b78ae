/* SPDX-License-Identifier: MIT */
/* signals.c: what the program did to its signals, and which process forked
 * which, for the exec that follows: the signals it set to be ignored since
 * it started (wrap-signal.c records each change), and, in a child of the
 * fork wrapper, what it set up itself since the fork.  exec.c and
 * wrap-exec.c read it to give a new program the dispositions and mask it
 * would have had without the library (NOLEAK_SIGNALS=restore).
 *
 * In the async-signal-safe zone: raw system calls and the stack only. */
#include "signals.h"
#include "intent.h"
#include "raw.h"

#include <signal.h>
#include <sys/syscall.h>

/* Whether signal sig is ignored now, by the kernel's word. */
static int sig_ignored(int sig)
{
	struct noleak_kernel_sigaction old;

	return noleak_raw(SYS_rt_sigaction, sig, 0, (long)&old, 8, 0) == 0 &&
	       old.handler == (void *)SIG_IGN;
}

/* Bit s-1 of sig_touched is set once the program has changed signal s
 * through a wrapper; the same bit of sig_ign_at_start says s was ignored
 * before that first change, i.e. at start-up. */
static unsigned long sig_touched;
static unsigned long sig_ign_at_start;

/* What the process that will call exec set up for itself since it came
 * out of a fork: the signals it changed, and the mask it had at the fork.
 * Keyed by pid, so that a child made any other way (vfork, clone) starts
 * from nothing: its first change finds another pid here and clears it. */
static struct {
	long pid;
	long parent;		/* who forked it; 0 when not known */
	unsigned long touched;
	int mask_known;
	unsigned long mask_at_fork;
} own;

static void own_note(unsigned long bit)
{
	long me = noleak_raw(SYS_getpid, 0, 0, 0, 0, 0);

	if (__atomic_load_n(&own.pid, __ATOMIC_ACQUIRE) != me) {
		own.touched = 0;
		own.mask_known = 0;
		own.parent = 0;
		__atomic_store_n(&own.pid, me, __ATOMIC_RELEASE);
	}
	__atomic_fetch_or(&own.touched, bit, __ATOMIC_RELEASE);
}

void noleak_forked(long parent)
{
	noleak_table_own(noleak_raw(SYS_getpid, 0, 0, 0, 0, 0));
	own.parent = parent;
	own.touched = 0;
	own.mask_known = noleak_raw(SYS_rt_sigprocmask, SIG_BLOCK, 0,
				    (long)&own.mask_at_fork, 8, 0) == 0;
	__atomic_store_n(&own.pid, noleak_raw(SYS_getpid, 0, 0, 0, 0, 0),
			 __ATOMIC_RELEASE);
}

void noleak_sig_touch(int sig)
{
	unsigned long bit;

	/* Two system calls of its own (getpid, rt_sigaction): none in a
	 * sandbox, where nothing is restored at exec either. */
	if (sig < 1 || sig > 64 || noleak_sandboxed)
		return;
	bit = 1UL << (sig - 1);
	own_note(bit);
	if (__atomic_load_n(&sig_touched, __ATOMIC_ACQUIRE) & bit)
		return;
	if (sig_ignored(sig))
		__atomic_fetch_or(&sig_ign_at_start, bit, __ATOMIC_RELEASE);
	__atomic_fetch_or(&sig_touched, bit, __ATOMIC_RELEASE);
}

/* The loop counts to 64 itself: a bound like "touched >> (sig - 1)" would
 * shift by 64 once signal 64 is touched (git resets every signal before
 * an exec), which x86 takes as a shift by 0, so it never ended. */
unsigned long noleak_sig_ignored_since_start(void)
{
	unsigned long touched = __atomic_load_n(&sig_touched, __ATOMIC_ACQUIRE);
	unsigned long set = 0;

	touched &= ~__atomic_load_n(&sig_ign_at_start, __ATOMIC_ACQUIRE);
	touched &= ~((1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1)));
	for (int sig = 1; sig <= 64 && touched; sig++, touched >>= 1)
		if ((touched & 1) && sig_ignored(sig))
			set |= 1UL << (sig - 1);
	return set;
}

long noleak_forked_from(void)
{
	long pid = __atomic_load_n(&own.pid, __ATOMIC_ACQUIRE);

	/* No fork through the library yet: no system call either. */
	if (!pid)
		return 0;
	return pid == noleak_raw(SYS_getpid, 0, 0, 0, 0, 0) ? own.parent : 0;
}

void noleak_sig_inherited(unsigned long start_mask, unsigned long *reset,
			  unsigned long *mask)
{
	long me = noleak_raw(SYS_getpid, 0, 0, 0, 0, 0);
	int mine = __atomic_load_n(&own.pid, __ATOMIC_ACQUIRE) == me;
	unsigned long now = 0;

	*reset = noleak_sig_ignored_since_start();
	if (mine)
		*reset &= ~__atomic_load_n(&own.touched, __ATOMIC_ACQUIRE);
	*mask = start_mask;
	if (mine && own.mask_known &&
	    noleak_raw(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&now, 8, 0) == 0)
		*mask = (now & ~(own.mask_at_fork & ~start_mask)) |
			(start_mask & ~own.mask_at_fork);
}
