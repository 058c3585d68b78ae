/* SPDX-License-Identifier: MIT */
/* next.c: the table of next symbols.
 *
 * Each wrapper forwards to next_<name>, the definition that follows ours in
 * the lookup order: usually glibc's, but possibly another interposer's (a
 * sanitizer, libfaketime), which is why they are not called real_<name>.
 *
 * Binding happens once, in the constructor or at the first wrapper that
 * needs it.  It must survive three things:
 *  - wrappers called before our constructor (a NEEDED library's constructor
 *    runs first);
 *  - re-entry: dlsym can call malloc, and an allocator's initialisation can
 *    call open() (jemalloc, mimalloc), which lands in our open wrapper while
 *    we are still binding.  A wrapper that finds its pointer NULL therefore
 *    never calls dlsym; the simple ones issue the raw system call instead;
 *  - threads: pointers are published with release stores and read with
 *    acquire loads (NEXT() in noleak.h). */
#include "next.h"
#include "raw.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NOLEAK_EAGER(name) __typeof__(name) *next_##name;
#define NOLEAK_LAZY(name) NOLEAK_EAGER(name)
#define NOLEAK_EXPORT_ONLY(name)
#define NOLEAK_COMPAT(name, version) __typeof__(name) *next_##name##_compat;
#include "symbols.def"
#undef NOLEAK_EAGER
#undef NOLEAK_EXPORT_ONLY
#undef NOLEAK_LAZY
#undef NOLEAK_COMPAT

/* The state of a once: UNDONE, DONE, or the thread id of the thread
 * running it, in one word, so that a fork caught between two stores can
 * never find "running" without knowing by whom. */
enum { UNDONE = 0, DONE = -1 };

static struct noleak_once bound;

/* Whether thread tid is a thread of this process: not after a fork, which
 * keeps only the thread that forked (a signal handler's fork, _Fork,
 * daemon(3), a raw fork system call: none goes through the library). */
static int alive(pid_t tid)
{
	long pid = noleak_raw(SYS_getpid, 0, 0, 0, 0, 0);

	return noleak_raw(SYS_tgkill, pid, tid, 0, 0, 0) != -ESRCH;
}

int noleak_once_enter(struct noleak_once *once, int wait)
{
	int state = __atomic_load_n(&once->state, __ATOMIC_ACQUIRE);
	pid_t tid;

	if (state == DONE)
		return 0;
	tid = (pid_t)noleak_raw(SYS_gettid, 0, 0, 0, 0, 0);
	for (;;) {
		if (state == UNDONE &&
		    __atomic_compare_exchange_n(&once->state, &state, tid, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return 1;
		if (state == DONE || state == tid)
			return 0;	/* done, or re-entered from inside it */
		/* Its runner is not in this process: a fork caught it half
		 * done.  Run it again, from the start. */
		if (state != UNDONE && !alive(state)) {
			if (__atomic_compare_exchange_n(&once->state, &state, tid, 0,
							__ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE))
				return 1;
			continue;
		}
		if (!wait)
			return 0;
		sched_yield();
		state = __atomic_load_n(&once->state, __ATOMIC_ACQUIRE);
	}
}

void noleak_once_leave(struct noleak_once *once)
{
	__atomic_store_n(&once->state, DONE, __ATOMIC_RELEASE);
}

/* The first and one past the last byte of this library, as the linker
 * laid it out.  Hidden references resolve at link time: taking the address
 * of each exported wrapper instead would cost the loader one symbol lookup
 * per wrapper in every process. */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char _end[] __attribute__((visibility("hidden")));

/* Look up one symbol; refuse a definition of our own, which a broken lookup
 * order could return and which would recurse forever. */
static void *lookup(const char *name, const char *version)
{
	void *p = version ? dlvsym(RTLD_NEXT, name, version)
			  : dlsym(RTLD_NEXT, name);
	return (const char *)p >= __ehdr_start && (const char *)p < _end ? NULL : p;
}

/* Set while this thread is inside dlsym for the library: a wrapper it
 * re-enters (an allocator's initialisation opening a file) must not call
 * dlsym again, and falls back to the raw system call. */
static __thread int looking_up __attribute__((tls_model("initial-exec")));

/* dlsym takes some kilobytes of stack, which a first call on a small
 * stack (a 4 KiB clone stack, a thread's 16 KiB, a vfork child) does not
 * have: it runs on a stack mapped for the moment, as set-up does
 * (config.c), and unmapped before the caller goes on.  Not in a sandbox,
 * whose filter may not allow the mapping; nor where nothing can be
 * mapped. */
enum { LOOKUP_STACK = 64 * 1024 };

static void on_own_stack(void (*fn)(void *), void *arg)
{
	if (__atomic_load_n(&noleak_sandboxed, __ATOMIC_ACQUIRE) ||
	    noleak_on_own_stack(fn, arg, LOOKUP_STACK) < 0)
		fn(arg);
}

struct one {
	const char *name;
	void *found;
};

static void lookup_one(void *arg)
{
	struct one *o = arg;

	o->found = lookup(o->name, NULL);
}

void *noleak_next_lookup(void **slot, const char *name)
{
	struct one o = { name, NULL };
	void *p;

	noleak_next_bind();
	p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (p || looking_up)
		return p;
	/* Another thread is binding (it may be waiting for the loader's
	 * lock, held by a dlopen whose constructor called us): look this
	 * one up alone rather than wait for it. */
	looking_up = 1;
	on_own_stack(lookup_one, &o);
	looking_up = 0;
	if (o.found)
		__atomic_store_n(slot, o.found, __ATOMIC_RELEASE);
	return o.found;
}

static void bind_all(void *unused)
{
	(void)unused;
#define NOLEAK_EAGER(name) \
	__atomic_store_n(&next_##name, \
		(__typeof__(name) *)lookup(#name, NULL), \
		__ATOMIC_RELEASE);
#define NOLEAK_LAZY(name)
#define NOLEAK_EXPORT_ONLY(name)
#define NOLEAK_COMPAT(name, version) \
	__atomic_store_n(&next_##name##_compat, \
		(__typeof__(name) *)lookup(#name, version), \
		__ATOMIC_RELEASE);
#include "symbols.def"
#undef NOLEAK_EAGER
#undef NOLEAK_EXPORT_ONLY
#undef NOLEAK_LAZY
#undef NOLEAK_COMPAT
}

void noleak_next_bind(void)
{
	/* Never waits: a thread that finds another binding goes on with
	 * what is bound, or looks its own symbol up (noleak_next_lookup). */
	if (looking_up || (noleak_sandboxed &&
			   __atomic_load_n(&bound.state, __ATOMIC_ACQUIRE) != DONE) ||
	    !noleak_once_enter(&bound, 0))
		return;
	looking_up = 1;
	on_own_stack(bind_all, NULL);
	looking_up = 0;
	noleak_once_leave(&bound);
}
