/* forklock.c: the fork lock, for the few creators with no atomic form.
 *
 * Almost every creator asks the kernel for close-on-exec in the call that
 * makes the descriptor, and needs no lock.  A few glibc composites cannot:
 * openpty and forkpty open the slave without O_CLOEXEC (login/openpty.c),
 * and any path that falls back to glibc's own code and marks afterwards.
 * Between creating such a descriptor and marking it, a spawn in another
 * thread would copy it into the child.  The exec family needs no lock
 * against this: it sweeps in the child, after the copy.  But fork, system,
 * popen and posix_spawn copy the table when the parent's sweep is already
 * done, so they must not overlap a window.
 *
 * The lock has two sides that exclude each other, each of which many
 * threads may hold at once:
 *  - the creator side, held for "create + mark" by the composites;
 *  - the spawner side, held by fork, system, popen and posix_spawn from
 *    before their sweep until the child exists.
 * It is two atomic counters, not a pthread lock, because it must work in a
 * child of fork (counters are reset there), in signal handlers, and inside
 * pthread_atfork handlers.  Three rules keep it from ever deadlocking:
 *  - a thread that holds one side never waits for the other (a signal
 *    handler that forks inside openpty, an atfork handler that calls
 *    openpty inside fork): it goes ahead, at worst leaking that one window;
 *  - no side is held across a call that can block for long: creators with
 *    atomic forms (accept, open of a FIFO) never take it;
 *  - every wait is bounded.  system() holds the spawner side while its
 *    command runs; a creator gives up waiting after WAIT_MS, by which time
 *    the child has long had its own copy of the table, so going ahead
 *    cannot leak into it. */
#include "noleak.h"

#include <sched.h>
#include <sys/syscall.h>
#include <time.h>

enum { WAIT_MS = 200 };

static int creators, spawners;

/* How deep this thread is in each side.  Initial-exec TLS: the library is
 * preloaded, and such an access never allocates. */
static __thread int creating __attribute__((tls_model("initial-exec")));
static __thread int spawning __attribute__((tls_model("initial-exec")));

static long now_ms(void)
{
	struct timespec ts;

	noleak_raw(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&ts, 0, 0, 0);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Count ourselves into side mine, waiting while other is held. */
static void enter(int *mine, int *other)
{
	long deadline = 0;

	for (;;) {
		__atomic_fetch_add(mine, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(other, __ATOMIC_SEQ_CST) == 0)
			return;
		__atomic_fetch_sub(mine, 1, __ATOMIC_SEQ_CST);
		if (!deadline)
			deadline = now_ms() + WAIT_MS;
		while (__atomic_load_n(other, __ATOMIC_SEQ_CST) != 0) {
			if (now_ms() > deadline) {
				/* Go ahead regardless: a leak, not a hang. */
				__atomic_fetch_add(mine, 1, __ATOMIC_SEQ_CST);
				return;
			}
			sched_yield();
		}
	}
}

int noleak_creator_lock(void)
{
	if (creating++ > 0 || spawning > 0)
		return 0;
	enter(&creators, &spawners);
	return 1;
}

void noleak_creator_unlock(int took)
{
	creating--;
	if (took)
		__atomic_fetch_sub(&creators, 1, __ATOMIC_SEQ_CST);
}

int noleak_spawner_lock(void)
{
	if (spawning++ > 0 || creating > 0)
		return 0;
	enter(&spawners, &creators);
	return 1;
}

void noleak_spawner_unlock(int took)
{
	spawning--;
	if (took)
		__atomic_fetch_sub(&spawners, 1, __ATOMIC_SEQ_CST);
}

void noleak_forklock_child(void)
{
	__atomic_store_n(&creators, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&spawners, 0, __ATOMIC_SEQ_CST);
	creating = 0;
	spawning = 0;
}
