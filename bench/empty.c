/* SPDX-License-Identifier: MIT */
/* empty.c: a library with nothing in it, for the benchmark's floor: what
 * any LD_PRELOAD costs a process, before the shim does anything. */
int noleak_bench_empty;
