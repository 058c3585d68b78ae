#!/bin/bash
# SPDX-License-Identifier: MIT
# repro-msgflags.sh: finding 3 of doc/hostwide-findings.md.  recvmsg
# (and recvmmsg) report in msg_flags the flags the kernel was called
# with: the library adds MSG_CMSG_CLOEXEC to the call, and the program
# finds 0x40000000 in msg_flags that it never asked for (CPython's
# test_socket, SendRecvFdsTests.testSendAndRecvFds: "1073741824 != 0").
# A C program passes a descriptor over a socketpair and prints msg_flags
# with and without the library; exits 1 when they differ.  Needs root
# (ns.sh).
here=$(cd "$(dirname "$0")" && pwd)
lib=${NOLEAK_LIBRARY:-$here/../../shim/.libs/libnoleak.so}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/msgflags.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void)
{
	int sv[2], fd = 0;
	char byte = 'x', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { 0 };
	struct cmsghdr *c;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	sendmsg(sv[0], &msg, 0);
	memset(cbuf, 0, sizeof(cbuf));
	msg.msg_controllen = sizeof(cbuf);
	msg.msg_flags = 0;
	if (recvmsg(sv[1], &msg, 0) != 1)
		return 2;
	printf("recvmsg(flags 0): msg_flags 0x%x\n", (unsigned)msg.msg_flags);
	return 0;
}
C
cc -o "$tmp/msgflags" "$tmp/msgflags.c" || exit 2
chmod 755 "$tmp"
without=$("$here/ns.sh" without "$lib" "$tmp/msgflags")
with=$("$here/ns.sh" with "$lib" "$tmp/msgflags")
echo "without the library: $without"
echo "with the library:    $with"
[ "$without" = "$with" ]
