/* SPDX-License-Identifier: MIT */
/* keep-check.c: the wrapper's question about a --keep argument, answered
 * by the library's own parser (noleak_keep_parse, shim/policy.c), so that
 * the keep-list grammar is written once.
 *
 *   noleak-inspect keep-check SPEC
 *
 * Exit 0 when the library accepts every entry of SPEC, as its owner
 * process would parse it; 1 with one sentence on standard output naming
 * the first entry it refuses and why, in the words the wrapper has always
 * used ("invalid keep entry '9-4' in '3,9-4': range runs backwards"); 2 on
 * a usage error. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "inspect.h"
#include "policy.h"

/* The first entry the parser refused. */
struct refusal {
	const char *entry;	/* not NUL-terminated */
	size_t len;
	const char *why;
};

static void first_refusal(void *ctx, const char *entry, size_t len, const char *why)
{
	struct refusal *r = ctx;

	if (!r->why)
		*r = (struct refusal){ entry, len, why };
}

/* Whether [s, s + n) has the shape of a number or a range N-M, so that
 * the parser can have refused it only for its size. */
static int number_shaped(const char *s, size_t n)
{
	size_t digits = strspn(s, "0123456789");

	if (digits == 0 || digits > n)
		return 0;
	if (digits == n)
		return 1;
	if (s[digits] != '-' || digits + 1 == n)
		return 0;
	return strspn(s + digits + 1, "0123456789") >= n - digits - 1;
}

/* Print the sentence for r, refused in spec.  A number entry is named
 * with the list it came from, as the wrapper always did; the parser's
 * "not a descriptor number" becomes the list of what an entry may be, or
 * "too large" when the entry has a number's shape. */
static void print_refusal(const struct refusal *r, const char *spec)
{
	const char *why = r->why;
	int number = 1;

	if (!strcmp(why, "not a descriptor number or range N-M"))
		why = number_shaped(r->entry, r->len) ? "descriptor number too large"
			: "expected a descriptor number, a range N-M, tcp:PORT, udp:PORT,"
			  " unix:PATH or path:GLOB";
	else if (strcmp(why, "range runs backwards"))
		number = 0;
	if (number)
		printf("invalid keep entry '%.*s' in '%s': %s\n", (int)r->len, r->entry, spec, why);
	else
		printf("invalid keep entry '%.*s': %s\n", (int)r->len, r->entry, why);
}

int keep_check_main(int argc, char **argv)
{
	struct noleak_keep keep;
	struct refusal r = { NULL, 0, NULL };

	if (argc != 2) {
		fprintf(stderr, "usage: noleak-inspect keep-check SPEC\n");
		return 2;
	}
	memset(&keep, 0, sizeof(keep));
	if (noleak_keep_parse(argv[1], &keep, first_refusal, &r) == 0)
		return 0;
	print_refusal(&r, argv[1]);
	return 1;
}
