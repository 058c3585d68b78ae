/* SPDX-License-Identifier: MIT */
/* wrap-open.c: open open64 openat openat64 creat creat64, the fortify
 * entry points __open_2 __open64_2 __openat_2 __openat64_2,
 * open_by_handle_at, and the mkstemp family (mkstemp mkostemp mkstemps
 * mkostemps and their 64 forms).
 *
 * Every one adds O_CLOEXEC, so the descriptor can never reach a child
 * started by another thread between its creation and a later fcntl.
 * Programs built with -D_FILE_OFFSET_BITS=64 import open64 and openat64,
 * and fortified builds call __open_2 when the flags are not a compile-time
 * constant (bits/fcntl2.h), so every name is wrapped. */
#include "noleak.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>

typedef int open_fn(const char *, int, ...);
typedef int openat_fn(int, const char *, int, ...);
typedef int open2_fn(const char *, int);
typedef int openat2_fn(int, const char *, int);

/* glibc reads the mode argument only for these flags (io/open.c). */
static int needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

/* The flags to open with; *added says whether O_CLOEXEC is ours. */
static int cloexec(int flags, int *added)
{
	return noleak_want(flags, O_CLOEXEC, added);
}

static int do_openat(openat_fn *next, int dirfd, const char *path, int flags,
		     mode_t mode)
{
	int added, fd;

	flags = cloexec(flags, &added);
	fd = next ? next(dirfd, path, flags, mode)
		  : (int)noleak_raw_result(noleak_raw(SYS_openat, dirfd,
				(long)path, flags, mode, 0));
	return noleak_track_new(fd, added);
}

static int do_open(open_fn *next, const char *path, int flags, mode_t mode)
{
	int added, fd;

	if (!next)
		return do_openat(NULL, AT_FDCWD, path, flags, mode);
	flags = cloexec(flags, &added);
	fd = next(path, flags, mode);
	return noleak_track_new(fd, added);
}

#define VA_MODE(flags, mode)                                          \
	do {                                                          \
		if (needs_mode(flags)) {                              \
			va_list ap;                                   \
			va_start(ap, flags);                          \
			mode = va_arg(ap, mode_t);                    \
			va_end(ap);                                   \
		}                                                     \
	} while (0)

NOLEAK_EXPORT int open(const char *path, int flags, ...)
{
	NOLEAK_SITE(open);
	mode_t mode = 0;

	VA_MODE(flags, mode);
	return do_open(NEXT_SET_UP(open), path, flags, mode);
}

NOLEAK_EXPORT int open64(const char *path, int flags, ...)
{
	NOLEAK_SITE(open64);
	mode_t mode = 0;

	VA_MODE(flags, mode);
	return do_open(NEXT_SET_UP(open64), path, flags, mode);
}

NOLEAK_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	NOLEAK_SITE(openat);
	mode_t mode = 0;

	VA_MODE(flags, mode);
	return do_openat(NEXT_SET_UP(openat), dirfd, path, flags, mode);
}

NOLEAK_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	NOLEAK_SITE(openat64);
	mode_t mode = 0;

	VA_MODE(flags, mode);
	return do_openat(NEXT_SET_UP(openat64), dirfd, path, flags, mode);
}

/* creat has no flags to add to: it is open with O_CREAT|O_WRONLY|O_TRUNC
 * (io/creat.c), so it is forwarded as that open. */
NOLEAK_EXPORT int creat(const char *path, mode_t mode)
{
	NOLEAK_SITE(creat);
	return do_open(NEXT_SET_UP(open), path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

NOLEAK_EXPORT int creat64(const char *path, mode_t mode)
{
	NOLEAK_SITE(creat64);
	return do_open(NEXT_SET_UP(open64), path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

/* The fortify entry points take no mode (they abort on O_CREAT without
 * one, in io/open_2.c); forwarding keeps that check. */
static int do_open2(open2_fn *next, const char *path, int flags)
{
	int added, fd;

	if (!next)
		return do_openat(NULL, AT_FDCWD, path, flags, 0);
	flags = cloexec(flags, &added);
	fd = next(path, flags);
	return noleak_track_new(fd, added);
}

static int do_openat2(openat2_fn *next, int dirfd, const char *path, int flags)
{
	int added, fd;

	if (!next)
		return do_openat(NULL, dirfd, path, flags, 0);
	flags = cloexec(flags, &added);
	fd = next(dirfd, path, flags);
	return noleak_track_new(fd, added);
}

NOLEAK_EXPORT int __open_2(const char *path, int flags)
{
	NOLEAK_SITE(__open_2);
	return do_open2(NEXT_SET_UP(__open_2), path, flags);
}

NOLEAK_EXPORT int __open64_2(const char *path, int flags)
{
	NOLEAK_SITE(__open64_2);
	return do_open2(NEXT_SET_UP(__open64_2), path, flags);
}

NOLEAK_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	NOLEAK_SITE(__openat_2);
	return do_openat2(NEXT_SET_UP(__openat_2), dirfd, path, flags);
}

NOLEAK_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	NOLEAK_SITE(__openat64_2);
	return do_openat2(NEXT_SET_UP(__openat64_2), dirfd, path, flags);
}

NOLEAK_EXPORT int open_by_handle_at(int mountfd, struct file_handle *handle,
				    int flags)
{
	NOLEAK_SITE(open_by_handle_at);
	__typeof__(open_by_handle_at) *next = NEXT_BOUND(open_by_handle_at);
	int added, fd;

	flags = cloexec(flags, &added);
	fd = next ? next(mountfd, handle, flags)
		  : (int)noleak_raw_result(noleak_raw(SYS_open_by_handle_at,
				mountfd, (long)handle, flags, 0, 0));
	return noleak_track_new(fd, added);
}

/* The mkstemp family: every form comes down to mkostemps (or its 64-bit
 * name) with O_CLOEXEC added, as glibc's forms all come down to
 * __gen_tempname (misc/mkostemps.c, sysdeps/posix/tempname.c), which opens
 * through the internal __open, so open's wrapper never sees it. */
static int make_temp(char *template, int suffixlen, int flags, int large)
{
	__typeof__(mkostemps) *next = large ? NEXT_BOUND(mkostemps64)
					    : NEXT_BOUND(mkostemps);
	int added;

	flags = cloexec(flags, &added);
	if (!next) {
		errno = ENOSYS;
		return -1;
	}
	return noleak_track_new(next(template, suffixlen, flags), added);
}

NOLEAK_EXPORT int mkstemp(char *template)
{
	NOLEAK_SITE(mkstemp);
	return make_temp(template, 0, 0, 0);
}

NOLEAK_EXPORT int mkstemp64(char *template)
{
	NOLEAK_SITE(mkstemp64);
	return make_temp(template, 0, 0, 1);
}

NOLEAK_EXPORT int mkostemp(char *template, int flags)
{
	NOLEAK_SITE(mkostemp);
	return make_temp(template, 0, flags, 0);
}

NOLEAK_EXPORT int mkostemp64(char *template, int flags)
{
	NOLEAK_SITE(mkostemp64);
	return make_temp(template, 0, flags, 1);
}

NOLEAK_EXPORT int mkstemps(char *template, int suffixlen)
{
	NOLEAK_SITE(mkstemps);
	return make_temp(template, suffixlen, 0, 0);
}

NOLEAK_EXPORT int mkstemps64(char *template, int suffixlen)
{
	NOLEAK_SITE(mkstemps64);
	return make_temp(template, suffixlen, 0, 1);
}

NOLEAK_EXPORT int mkostemps(char *template, int suffixlen, int flags)
{
	NOLEAK_SITE(mkostemps);
	return make_temp(template, suffixlen, flags, 0);
}

NOLEAK_EXPORT int mkostemps64(char *template, int suffixlen, int flags)
{
	NOLEAK_SITE(mkostemps64);
	return make_temp(template, suffixlen, flags, 1);
}
