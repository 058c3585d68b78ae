/* wrap-socket.c: socket socketpair accept accept4.
 *
 * SOCK_CLOEXEC goes into the type (or the flags of accept4); accept becomes
 * accept4, the only way to have an accepted socket close-on-exec from its
 * first instant. */
#include "noleak.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>

NOLEAK_EXPORT int socket(int domain, int type, int protocol)
{
	__typeof__(socket) *next = NEXT(socket);
	int added = !(type & SOCK_CLOEXEC);
	int fd;

	type |= SOCK_CLOEXEC;
	fd = next ? next(domain, type, protocol)
		  : (int)noleak_raw_result(noleak_raw(SYS_socket, domain, type,
						      protocol, 0, 0));
	return noleak_created(fd, added);
}

NOLEAK_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	__typeof__(socketpair) *next = NEXT(socketpair);
	int added = !(type & SOCK_CLOEXEC);
	int ret;

	type |= SOCK_CLOEXEC;
	ret = next ? next(domain, type, protocol, sv)
		   : (int)noleak_raw_result(noleak_raw(SYS_socketpair, domain,
						       type, protocol,
						       (long)sv, 0));
	if (ret == 0) {
		noleak_created(sv[0], added);
		noleak_created(sv[1], added);
	}
	return ret;
}

static int do_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	__typeof__(accept4) *next = NEXT(accept4);
	int added = !(flags & SOCK_CLOEXEC);
	int ret;

	flags |= SOCK_CLOEXEC;
	ret = next ? next(fd, addr, len, flags)
		   : (int)noleak_raw_result(noleak_raw(SYS_accept4, fd,
						       (long)addr, (long)len,
						       flags, 0));
	return noleak_created(ret, added);
}

NOLEAK_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return do_accept4(fd, addr, len, 0);
}

NOLEAK_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len,
			  int flags)
{
	return do_accept4(fd, addr, len, flags);
}
