/* SPDX-License-Identifier: MIT */
/* message.c: the form every command of noleak-inspect gives its
 * complaints, on standard error, as coreutils does: "noleak check: ...",
 * and for a usage error a line pointing at --help. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "inspect.h"

static void __attribute__((format(printf, 2, 0)))
vfail(const char *me, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", me);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void inspect_fail(const char *me, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(me, fmt, ap);
	va_end(ap);
}

void inspect_usage_error(const char *me, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(me, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", me);
}

void inspect_no_descriptors(const char *me, pid_t pid, int err)
{
	inspect_fail(me, "cannot read the descriptors of process %d: %s", (int)pid,
		     err == ENOENT ? "no such process" : strerror(err));
}
