/* SPDX-License-Identifier: MIT */
/* libnothing.c: a preloaded library with nothing in it, to stand beside
 * the shim in LD_PRELOAD (the order of such neighbours must survive). */
int noleak_test_nothing(void);

int noleak_test_nothing(void)
{
	return 0;
}
