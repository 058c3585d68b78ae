/* SPDX-License-Identifier: MIT */
/* close-range.h: close_range(2)'s system call number and its
 * CLOSE_RANGE_CLOEXEC flag (Linux 5.11), for C library headers older than
 * the kernel: the sweep (sweep.c), the wrappers of close_range (wrap-close.c,
 * wrap-syscall.c) and tests/deny.c use them.  Nothing else here, so that a
 * test program can include it without the library's other headers. */
#ifndef NOLEAK_CLOSE_RANGE_H
#define NOLEAK_CLOSE_RANGE_H

#include <sys/syscall.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#endif
