/* SPDX-License-Identifier: MIT */
/* noisy.c: the control of `make check-hostwide`, a library that harms its
 * host in a way a user would notice: its constructor writes one line to
 * the standard error of every program it is loaded into.  Deployed in
 * /etc/ld.so.preload in place of libnoleak.so, it must make git's tests
 * fail with it and not without, or the comparison proves nothing. */
#include <unistd.h>

__attribute__((constructor)) static void noisy(void)
{
	static const char line[] = "noisy: loaded\n";

	(void)!write(2, line, sizeof(line) - 1);
}
