/* SPDX-License-Identifier: MIT */
/* libpicky.c: a library that loads cleanly through LD_PRELOAD and not
 * through /etc/ld.so.preload: its constructor ends the program, status
 * 42, when LD_PRELOAD does not name it.  tests/system.sh shows with it
 * that 'noleak system enable' tries the new file itself, in a private
 * mount namespace, and not only the variable. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((constructor)) static void picky(void)
{
	const char *preload = getenv("LD_PRELOAD");

	if (!preload || !strstr(preload, "libpicky"))
		_exit(42);
}
