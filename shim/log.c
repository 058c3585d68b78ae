/* log.c: the shim's own messages.
 *
 * Lines are built in a fixed buffer on the caller's stack and written with
 * one raw write(2) that leaves errno alone, so a message can be produced
 * anywhere, including between vfork and exec.  The shim writes to standard error only, never to the
 * host's standard output. */
#include "noleak.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

void noleak_line_mem(struct noleak_line *l, const char *s, size_t n)
{
	size_t room = sizeof(l->buf) - 1 - l->len;	/* 1 kept for '\n' */

	if (n > room)
		n = room;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

void noleak_line_str(struct noleak_line *l, const char *s)
{
	noleak_line_mem(l, s, strlen(s));
}

void noleak_line_int(struct noleak_line *l, long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[--i] = '-';
	noleak_line_mem(l, tmp + i, sizeof(tmp) - i);
}

void noleak_line_begin(struct noleak_line *l)
{
	l->len = 0;
	noleak_line_str(l, "noleak[");
	noleak_line_int(l, noleak_raw(SYS_getpid, 0, 0, 0, 0, 0));
	noleak_line_str(l, "]: ");
}

void noleak_line_emit(struct noleak_line *l)
{
	size_t off = 0;

	l->buf[l->len++] = '\n';
	while (off < l->len) {
		long n = noleak_raw(SYS_write, 2, (long)(l->buf + off),
				    (long)(l->len - off), 0, 0);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	l->len = 0;
}
