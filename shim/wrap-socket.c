/* SPDX-License-Identifier: MIT */
/* wrap-socket.c: socket socketpair accept accept4 recvmsg recvmmsg.
 *
 * SOCK_CLOEXEC goes into the type (or the flags of accept4); accept becomes
 * accept4, the only way to have an accepted socket close-on-exec from its
 * first instant.  Descriptors received over a unix socket (SCM_RIGHTS) are
 * new descriptors too: recvmsg and recvmmsg get MSG_CMSG_CLOEXEC. */
#include "noleak.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>

NOLEAK_EXPORT int socket(int domain, int type, int protocol)
{
	NOLEAK_SITE(socket);
	__typeof__(socket) *next = NEXT_SET_UP(socket);
	int added;
	int fd;

	type = noleak_want(type, SOCK_CLOEXEC, &added);
	fd = next ? next(domain, type, protocol)
		  : (int)noleak_raw_result(noleak_raw(SYS_socket, domain, type,
						      protocol, 0, 0));
	return noleak_track_new(fd, added);
}

NOLEAK_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	NOLEAK_SITE(socketpair);
	__typeof__(socketpair) *next = NEXT_SET_UP(socketpair);
	int added;
	int ret;

	type = noleak_want(type, SOCK_CLOEXEC, &added);
	ret = next ? next(domain, type, protocol, sv)
		   : (int)noleak_raw_result(noleak_raw(SYS_socketpair, domain,
						       type, protocol,
						       (long)sv, 0));
	if (ret == 0) {
		noleak_track_new(sv[0], added);
		noleak_track_new(sv[1], added);
	}
	return ret;
}

static int do_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	__typeof__(accept4) *next = NEXT_SET_UP(accept4);
	int added;
	int ret;

	flags = noleak_want(flags, SOCK_CLOEXEC, &added);
	ret = next ? next(fd, addr, len, flags)
		   : (int)noleak_raw_result(noleak_raw(SYS_accept4, fd,
						       (long)addr, (long)len,
						       flags, 0));
	return noleak_track_new(ret, added);
}

/* accept becomes accept4 with SOCK_CLOEXEC, another system call: not in a
 * sandbox (wrap-sandbox.c), and not where a filter refuses it (ENOSYS:
 * accept4 may fail with EPERM of its own, a firewall's). */
NOLEAK_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	NOLEAK_SITE(accept);
	__typeof__(accept) *own;
	int ret;

	if (!noleak_sandboxed) {
		ret = do_accept4(fd, addr, len, 0);
		if (ret >= 0 || !noleak_refused(errno, 0))
			return ret;
	}
	own = NEXT_BOUND(accept);
	ret = own ? own(fd, addr, len)
		  : (int)noleak_raw_result(noleak_raw(SYS_accept, fd, (long)addr,
						      (long)len, 0, 0));
	return noleak_track_new(ret, 0);
}

NOLEAK_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len,
			  int flags)
{
	NOLEAK_SITE(accept4);
	return do_accept4(fd, addr, len, flags);
}

/* Book-keep the descriptors an SCM_RIGHTS message brought in. */
static void received(struct msghdr *msg, int added)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			__builtin_memcpy(&fd, CMSG_DATA(c) + i * sizeof(int),
					 sizeof(fd));
			noleak_track_new(fd, added);
		}
	}
}

NOLEAK_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	NOLEAK_SITE(recvmsg);
	__typeof__(recvmsg) *next = NEXT_BOUND(recvmsg);
	int added;
	ssize_t ret;

	flags = noleak_want(flags, MSG_CMSG_CLOEXEC, &added);
	ret = next ? next(fd, msg, flags)
		   : noleak_raw_result(noleak_raw(SYS_recvmsg, fd, (long)msg,
						  flags, 0, 0));
	if (ret >= 0 && added)
		msg->msg_flags &= ~MSG_CMSG_CLOEXEC;	/* Linux echoes it back */
	if (ret >= 0 && msg->msg_controllen > 0)
		received(msg, added);
	return ret;
}

NOLEAK_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen,
			   int flags, struct timespec *timeout)
{
	NOLEAK_SITE(recvmmsg);
	__typeof__(recvmmsg) *next = NEXT_BOUND(recvmmsg);
	int added;
	int ret;

	flags = noleak_want(flags, MSG_CMSG_CLOEXEC, &added);
	ret = next ? next(fd, vec, vlen, flags, timeout)
		   : (int)noleak_raw_result(noleak_raw(SYS_recvmmsg, fd,
				(long)vec, vlen, flags, (long)timeout));
	for (int i = 0; i < ret; i++) {
		if (added)
			vec[i].msg_hdr.msg_flags &= ~MSG_CMSG_CLOEXEC;
		if (vec[i].msg_hdr.msg_controllen > 0)
			received(&vec[i].msg_hdr, added);
	}
	return ret;
}
