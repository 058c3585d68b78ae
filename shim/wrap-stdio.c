/* SPDX-License-Identifier: MIT */
/* wrap-stdio.c: fopen fopen64 freopen freopen64 tmpfile tmpfile64.
 *
 * glibc's stdio opens files through its internal __open, never through the
 * public open (libio/fileops.c), so the open wrappers do not see these.
 * The mode gets 'e', which glibc turns into O_CLOEXEC.
 *
 * freopen onto a standard stream is the exception: glibc reopens and then
 * dup3()s the new descriptor onto the old number with O_CLOEXEC when the
 * mode has 'e' (libio/freopen.c), which would make stdout close-on-exec and
 * silence every child.  Those calls are forwarded unchanged.
 *
 * A mode the shim cannot rewrite (longer than its buffer, or where the
 * inserted 'e' would push a flag out of the six characters glibc reads) is
 * passed on unchanged, and the new descriptor is marked right after, as the
 * shim's own flag (a child that copies the table in between sweeps its own
 * copy before it execs: spawn.c). */
#include "noleak.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>

typedef FILE *fopen_fn(const char *, const char *);
typedef FILE *freopen_fn(const char *, const char *, FILE *);

enum { MODE_MAX = 64 };

static FILE *opened(FILE *f, int added)
{
	if (f) {
		int saved = errno;

		noleak_track_new(fileno(f), added);
		errno = saved;
	}
	return f;
}

/* Whether the mode was left as it was for want of room, not because the
 * program asked for close-on-exec: then the shim marks after creation. */
static int mark_after(const char *mode, const char *m)
{
	return !noleak_asleep() && m == mode && !noleak_mode_has_cloexec(mode);
}

/* Mark the descriptor of f, just made without close-on-exec.  Returns f;
 * errno is kept. */
static FILE *marked(FILE *f)
{
	if (f) {
		int saved = errno;

		noleak_mark_new(fileno(f));
		errno = saved;
	}
	return f;
}

static FILE *do_fopen(fopen_fn *next, const char *path, const char *mode)
{
	char buf[MODE_MAX];
	const char *m = noleak_asleep() ? mode
				       : noleak_mode_cloexec(mode, buf, sizeof(buf));

	if (!next) {
		errno = ENOSYS;
		return NULL;
	}
	if (!mark_after(mode, m))
		return opened(next(path, m), m != mode);
	return marked(next(path, mode));
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
	/* freopen closes the stream's descriptor (libio/freopen.c): what the
	 * shim recorded of it goes with it. */
	noleak_fd_closed(old);
	if (noleak_asleep() || (old >= 0 && old <= 2))
		return opened(next(path, mode, stream), 0);
	m = noleak_mode_cloexec(mode, buf, sizeof(buf));
	if (!mark_after(mode, m))
		return opened(next(path, m, stream), m != mode);
	return marked(next(path, mode, stream));
}

NOLEAK_EXPORT FILE *fopen(const char *path, const char *mode)
{
	NOLEAK_SITE(fopen);
	return do_fopen(NEXT_BOUND(fopen), path, mode);
}

NOLEAK_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	NOLEAK_SITE(fopen64);
	return do_fopen(NEXT_BOUND(fopen64), path, mode);
}

NOLEAK_EXPORT FILE *freopen(const char *path, const char *mode, FILE *stream)
{
	NOLEAK_SITE(freopen);
	return do_freopen(NEXT_BOUND(freopen), path, mode, stream);
}

NOLEAK_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *stream)
{
	NOLEAK_SITE(freopen64);
	return do_freopen(NEXT_BOUND(freopen64), path, mode, stream);
}

/* tmpfile makes its descriptor with the internal __open and no O_CLOEXEC
 * (sysdeps/unix/sysv/linux/gentempfd.c, stdio-common/tmpfile.c).  The same
 * thing is done here atomically: an unnamed O_TMPFILE file in P_tmpdir,
 * opened close-on-exec, wrapped with fdopen(fd, "w+b") as glibc does.  Where
 * the file system refuses O_TMPFILE, glibc's own tmpfile runs and its
 * descriptor is marked at once: a child that copies the table in between
 * sweeps it in its own table before it execs (spawn.c). */
static FILE *do_tmpfile(__typeof__(tmpfile) *next)
{
	int saved = errno, fd;
	FILE *f;

	if (noleak_asleep())
		return next ? next() : (errno = ENOSYS, NULL);
	fd = (int)noleak_raw(SYS_openat, AT_FDCWD, (long)P_tmpdir,
			     O_RDWR | O_TMPFILE | O_EXCL | O_CLOEXEC, 0600, 0);
	if (fd >= 0) {
		noleak_track_new(fd, 1);
		f = fdopen(fd, "w+b");
		if (!f)
			noleak_raw(SYS_close, fd, 0, 0, 0, 0);
		else
			errno = saved;
		return f;
	}
	if (!next) {
		errno = ENOSYS;
		return NULL;
	}
	f = next();
	if (f) {
		noleak_mark_new(fileno(f));
		errno = saved;
	}
	return f;
}

NOLEAK_EXPORT FILE *tmpfile(void)
{
	NOLEAK_SITE(tmpfile);
	return do_tmpfile(NEXT_BOUND(tmpfile));
}

NOLEAK_EXPORT FILE *tmpfile64(void)
{
	NOLEAK_SITE(tmpfile64);
	return do_tmpfile(NEXT_BOUND(tmpfile64));
}
