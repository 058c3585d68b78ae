/* SPDX-License-Identifier: MIT */
/* libearly.c: a preloaded library whose constructor opens a file before
 * the shim's constructor has run (the loader runs the constructors of
 * preloaded libraries last-listed first).  It leaves the number in
 * NOLEAK_EARLY_FD, and NOLEAK_EARLY_FIRST=1 when the shim had not yet read
 * its configuration (it sets _NOLEAK_PID when it does).  It does nothing
 * unless NOLEAK_EARLY is set, or in a child that inherits NOLEAK_EARLY_FD. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void early(void)
{
	int first = getenv("_NOLEAK_PID") == NULL;
	int fd;
	char num[16];

	/* Only when asked; not in a child, whose parent opened it. */
	if (!getenv("NOLEAK_EARLY") || getenv("NOLEAK_EARLY_FD"))
		return;
	fd = open("/etc/hostname", O_RDONLY);
	snprintf(num, sizeof(num), "%d", fd);
	setenv("NOLEAK_EARLY_FD", num, 1);
	setenv("NOLEAK_EARLY_FIRST", first ? "1" : "0", 1);
}
