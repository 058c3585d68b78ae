/* SPDX-License-Identifier: MIT */
/* wrap-shell.c: wordexp, the one other way glibc starts a program for its
 * caller.
 *
 * wordexp runs each $(...) and `...` through /bin/sh -c, started with the
 * hidden __posix_spawn (posix/wordexp.c, exec_comm_child), which no wrapper
 * sees; the shell gets this process's table.  So the strays are marked in
 * this process first, with the keep rules of system (wrap-exec.c), keeping what
 * the words name by number: a stray is by definition not meant to be
 * passed, so marking it here takes nothing from anyone.
 *
 * The other programs glibc 2.36 starts by itself on Linux all go through
 * a wrapped symbol or close what they do not pass: system, popen and
 * posix_spawn (wrap-exec.c); grantpt has no pt_chown helper
 * (sysdeps/unix/sysv/linux/grantpt.c); sunrpc's _openchild closes every
 * descriptor above 2 before its execlp, and its one caller is not built
 * where SO_PASSCRED exists (sunrpc/openchild.c, sunrpc/key_call.c). */
#include "noleak.h"
#include "exec.h"

#include <errno.h>
#include <string.h>

/* Whether words may run a command: a "$(" or a backquote anywhere, quoted
 * or not (marking strays for nothing costs nothing but the sweep). */
static int may_run(const char *words, int flags)
{
	return words && !(flags & WRDE_NOCMD) &&
	       (strchr(words, '`') || strstr(words, "$("));
}

NOLEAK_EXPORT int wordexp(const char *words, wordexp_t *we, int flags)
{
	__typeof__(wordexp) *next = NEXT_BOUND(wordexp);
	char *argv[] = { "/bin/sh", "-c", (char *)words, NULL };

	if (!next) {
		errno = ENOSYS;
		return WRDE_NOSPACE;
	}
	if (!may_run(words, flags))
		return next(words, we, flags);
	/* A descriptor another thread makes, unseen, between this sweep and
	 * glibc's spawn can still reach the shell (libnoleak(7),
	 * LIMITATIONS); system and popen sweep in their child instead. */
	noleak_init();
	noleak_exec_sweep(argv, environ, -1, 0);
	return next(words, we, flags);
}
