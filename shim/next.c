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
#include "noleak.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
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

enum { UNDONE, RUNNING, DONE };

static struct noleak_once bound;

int noleak_once_enter(struct noleak_once *once)
{
	int expected = UNDONE;
	pid_t tid;

	if (__atomic_load_n(&once->state, __ATOMIC_ACQUIRE) == DONE)
		return 0;
	tid = (pid_t)noleak_raw(SYS_gettid, 0, 0, 0, 0, 0);
	if (__atomic_compare_exchange_n(&once->state, &expected, RUNNING, 0,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&once->tid, tid, __ATOMIC_RELEASE);
		return 1;
	}
	/* Someone is running it: wait, unless that someone is us. */
	if (__atomic_load_n(&once->tid, __ATOMIC_ACQUIRE) == tid)
		return 0;
	while (__atomic_load_n(&once->state, __ATOMIC_ACQUIRE) != DONE)
		sched_yield();
	return 0;
}

void noleak_once_leave(struct noleak_once *once)
{
	__atomic_store_n(&once->tid, 0, __ATOMIC_RELEASE);
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

void *noleak_next_lookup(void **slot, const char *name)
{
	void *p;

	/* Still binding on this thread (dlsym re-entered us): not now. */
	noleak_next_bind();
	if (__atomic_load_n(&bound.state, __ATOMIC_ACQUIRE) != DONE)
		return NULL;
	p = lookup(name, NULL);
	__atomic_store_n(slot, p, __ATOMIC_RELEASE);
	return p;
}

void noleak_next_bind(void)
{
	if (!noleak_once_enter(&bound))
		return;

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

	noleak_once_leave(&bound);
}
