/* policy.c: the shim's pure decisions.
 *
 * Nothing here touches a descriptor, the environment or global state, so
 * every function can be unit-tested without preloading (tests/check_policy.c)
 * and is safe to call from the async-signal-safe zone. */
#include "noleak.h"

#include <limits.h>
#include <string.h>

/* Parse a decimal descriptor number in [s, end).  Returns -1 unless the
 * whole span is digits and the value fits an int. */
static long parse_fd(const char *s, const char *end)
{
	long v = 0;

	if (s == end)
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return -1;
	}
	return v;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Check one entry in [s, end), already trimmed.  Returns NULL and fills *r,
 * or the reason the entry is bad. */
static const char *parse_entry(const char *s, const char *end,
			       struct noleak_range *r)
{
	const char *dash = memchr(s, '-', (size_t)(end - s));
	long lo, hi;

	if (!dash) {
		lo = hi = parse_fd(s, end);
		if (lo < 0)
			return "not a descriptor number or range N-M";
	} else {
		lo = parse_fd(s, dash);
		hi = parse_fd(dash + 1, end);
		if (lo < 0 || hi < 0)
			return "not a descriptor number or range N-M";
		if (lo > hi)
			return "range runs backwards";
	}
	r->lo = (int)lo;
	r->hi = (int)hi;
	return NULL;
}

size_t noleak_keep_parse(const char *spec, struct noleak_keep *keep,
			 noleak_complaint_fn *complain, void *ctx)
{
	size_t bad = 0;
	const char *s = spec;

	while (s && *s) {
		const char *end = strchr(s, ',');
		const char *next = end ? end + 1 : NULL;
		const char *why;
		struct noleak_range r;

		if (!end)
			end = s + strlen(s);
		while (s < end && is_space(*s))
			s++;
		while (end > s && is_space(end[-1]))
			end--;
		if (s == end) {
			s = next;	/* empty entries (",,", trailing ",") */
			continue;
		}
		why = parse_entry(s, end, &r);
		if (!why && keep->n == NOLEAK_KEEP_MAX)
			why = "too many entries";
		if (why) {
			bad++;
			if (complain)
				complain(ctx, s, (size_t)(end - s), why);
		} else {
			keep->range[keep->n++] = r;
		}
		s = next;
	}
	return bad;
}

int noleak_keep_has(const struct noleak_keep *keep, int fd)
{
	for (size_t i = 0; i < keep->n; i++)
		if (fd >= keep->range[i].lo && fd <= keep->range[i].hi)
			return 1;
	return 0;
}

/* glibc reads mode flags from the first seven characters only
 * (libio/fileops.c, _IO_new_file_fopen), and popen accepts 'e' anywhere
 * (libio/iopopen.c), so the 'e' goes right after the first character. */
const char *noleak_mode_cloexec(const char *mode, char *buf, size_t len)
{
	size_t n;

	if (!mode || !*mode)
		return mode;
	n = strlen(mode);
	for (size_t i = 1; i < n && i < 7 && mode[i] != ','; i++)
		if (mode[i] == 'e')
			return mode;
	if (n + 2 > len)
		return mode;
	buf[0] = mode[0];
	buf[1] = 'e';
	memcpy(buf + 2, mode + 1, n);	/* includes the terminating NUL */
	return buf;
}
