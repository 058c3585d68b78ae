/* SPDX-License-Identifier: MIT */
/* mallocopen.c: a program with its own allocator, which opens a file the
 * first time it is called (as allocators that seed from /dev/urandom or
 * read /proc/self/maps do).  The loader and the shim call it during start-up,
 * before and while the shim binds its symbols.  Prints "created FD" and
 * "cloexec F" for the allocator's descriptor, then starts tests/probe's
 * "report" through posix_spawn and waits.
 *
 *   mallocopen PROBE */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rawdup.h"

extern char **environ;

static char *arena, *next_free, *arena_end;
static int allocator_fd = -1;

enum { ARENA = 64 << 20, ALIGN = 16 };

/* Each block starts with its size, ALIGN bytes before the pointer. */
static void *take(size_t size, size_t align)
{
	uintptr_t p;

	if (!arena) {
		/* An allocator's own initialisation opens a file. */
		allocator_fd = open("/dev/null", O_RDONLY);
		arena = mmap(NULL, ARENA, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (arena == MAP_FAILED)
			_exit(90);
		next_free = arena;
		arena_end = arena + ARENA;
	}
	if (align < ALIGN)
		align = ALIGN;
	p = ((uintptr_t)next_free + ALIGN + align - 1) & ~(uintptr_t)(align - 1);
	if (size > (size_t)(arena_end - (char *)p)) {
		errno = ENOMEM;
		return NULL;
	}
	((size_t *)p)[-1] = size;
	next_free = (char *)p + size;
	return (void *)p;
}

void *malloc(size_t size)
{
	return take(size, ALIGN);
}

void free(void *p)
{
	(void)p;
}

void *calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return take(n * size, ALIGN);	/* fresh mmap memory is zero */
}

void *realloc(void *old, size_t size)
{
	void *p = take(size, ALIGN);

	if (p && old) {
		size_t was = ((size_t *)old)[-1];

		memcpy(p, old, was < size ? was : size);
	}
	return p;
}

void *memalign(size_t align, size_t size)
{
	return take(size, align);
}

void *aligned_alloc(size_t align, size_t size)
{
	return take(size, align);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p = take(size, align);

	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

size_t malloc_usable_size(void *p)
{
	return p ? ((size_t *)p)[-1] : 0;
}

int main(int argc, char **argv)
{
	char *child[] = { argv[1], "report", NULL };
	pid_t pid;

	if (argc != 2)
		return 2;
	void *volatile p = malloc(1);	/* not to be optimised away */

	free(p);
	printf("created %d\ncloexec %d\n", allocator_fd,
	       (raw_getfd(allocator_fd) & FD_CLOEXEC) ? 1 : 0);
	fflush(stdout);
	if (posix_spawn(&pid, argv[1], NULL, NULL, child, environ) != 0)
		return 3;
	return waitpid(pid, NULL, 0) == pid ? 0 : 4;
}
