/* SPDX-License-Identifier: MIT */
/* common.h: what every file of the shim includes first, through its
 * module's header: config.h, with the two feature macros that would rename
 * our wrappers turned off (_FILE_OFFSET_BITS=64 makes "open" mean open64;
 * _FORTIFY_SOURCE turns open into an inline function), so that each
 * wrapper defines exactly the symbol its name says; and the attributes
 * the modules share. */
#ifndef NOLEAK_COMMON_H
#define NOLEAK_COMMON_H

#include <config.h>
#undef _FORTIFY_SOURCE
#undef _FILE_OFFSET_BITS

#include <stddef.h>

/* Only wrappers are exported; everything else is hidden by
 * -fvisibility=hidden, and internal names carry the noleak_ prefix. */
#define NOLEAK_EXPORT __attribute__((visibility("default")))

/* The async-signal-safe zone is whole files: the code that may run
 * between fork (or vfork) and exec, or in a signal handler, uses raw
 * system calls and the stack only (no malloc, stdio, locks, dlsym, getenv
 * or writes to shared state).  The files are listed once, as ZONE_FILES
 * in Makefile.am, and tests/zone.sh checks their object files. */

/* Marks what every process runs, or reads, as the library loads and as it
 * exits: the constructor's callees go with it (.text.hot, next to the
 * constructor's .text.startup at the start of the code), and the few
 * variables into .data, beside what the loader writes for the library's
 * relocations.  Each page touched there is a page fault in every process
 * of a host-wide install (make bench counts them). */
#define NOLEAK_AT_LOAD __attribute__((hot))
#define NOLEAK_LOAD_DATA __attribute__((section(".data")))

#endif
