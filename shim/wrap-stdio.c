/* wrap-stdio.c: fopen fopen64 freopen freopen64.
 *
 * glibc's stdio opens files through its internal __open, never through the
 * public open (libio/fileops.c), so the open wrappers do not see these.
 * The mode gets 'e', which glibc turns into O_CLOEXEC.
 *
 * freopen onto a standard stream is the exception: glibc reopens and then
 * dup3()s the new descriptor onto the old number with O_CLOEXEC when the
 * mode has 'e' (libio/freopen.c), which would make stdout close-on-exec and
 * silence every child.  Those calls are forwarded unchanged. */
#include "noleak.h"

#include <errno.h>

typedef FILE *fopen_fn(const char *, const char *);
typedef FILE *freopen_fn(const char *, const char *, FILE *);

enum { MODE_MAX = 64 };

static FILE *opened(FILE *f, int added)
{
	if (f) {
		int saved = errno;

		noleak_created(fileno(f), added);
		errno = saved;
	}
	return f;
}

static FILE *do_fopen(fopen_fn *next, const char *path, const char *mode)
{
	char buf[MODE_MAX];
	const char *m = noleak_mode_cloexec(mode, buf, sizeof(buf));

	if (!next) {
		errno = ENOSYS;
		return NULL;
	}
	return opened(next(path, m), m != mode);
}

static FILE *do_freopen(freopen_fn *next, const char *path, const char *mode,
			FILE *stream)
{
	char buf[MODE_MAX];
	const char *m = mode;
	int saved = errno;
	int old = stream ? fileno(stream) : -1;

	errno = saved;
	if (!next) {
		errno = ENOSYS;
		return NULL;
	}
	if (old < 0 || old > 2)
		m = noleak_mode_cloexec(mode, buf, sizeof(buf));
	return opened(next(path, m, stream), m != mode);
}

NOLEAK_EXPORT FILE *fopen(const char *path, const char *mode)
{
	return do_fopen(NEXT_BOUND(fopen), path, mode);
}

NOLEAK_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	return do_fopen(NEXT_BOUND(fopen64), path, mode);
}

NOLEAK_EXPORT FILE *freopen(const char *path, const char *mode, FILE *stream)
{
	return do_freopen(NEXT_BOUND(freopen), path, mode, stream);
}

NOLEAK_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *stream)
{
	return do_freopen(NEXT_BOUND(freopen64), path, mode, stream);
}
