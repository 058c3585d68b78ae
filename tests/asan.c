/* SPDX-License-Identifier: MIT */
/* asan.c: a program built with GCC's AddressSanitizer (its shared
 * runtime), where the compiler has it: tests/system.sh shows that it stops
 * at start when a library is named in /etc/ld.so.preload, and runs with
 * ASAN_OPTIONS=verify_asan_link_order=0, as libnoleak(7) says. */
#include <stdio.h>

int main(void)
{
	puts("asan program ran");
	return 0;
}
