/* SPDX-License-Identifier: MIT */
/* libctor.c: a library whose constructor opens a file, for tests/sandbox.sh:
 * a thread dlopen()s it (the loader's lock held while the constructor
 * runs) while the main thread makes the process's first call through the
 * library. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

__attribute__((constructor)) static void ctor(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd >= 0)
		close(fd);
}
