/* SPDX-License-Identifier: MIT */
/* log.c: the shim's own messages.
 *
 * Lines are built in a fixed buffer on the caller's stack and written with
 * one raw write(2) that leaves errno alone, so a message can be produced
 * anywhere, including between vfork and exec.  They go where NOLEAK_LOG
 * says: standard error (the default), syslog, or a file; never to the
 * host's standard output. */
#include "noleak.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
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

enum noleak_log_to noleak_log_to = NOLEAK_LOG_STDERR;
int noleak_log_no_stderr;
char noleak_log_path[NOLEAK_LOG_PATH_MAX];

/* Write all of buf to fd, through EINTR; 0, or -1 when it could not. */
static int write_all(int fd, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		long n = noleak_raw(SYS_write, fd, (long)(buf + off),
				    (long)(len - off), 0, 0);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* O_NONBLOCK, because opening a FIFO for writing waits for a reader
 * (fifo(7)): a log path that is, or later becomes, a FIFO nobody reads
 * would hang the program.  Without a reader the open fails with ENXIO;
 * with one, or for a device, fstat tells, and only a regular file is
 * written to. */
int noleak_log_open(const char *path)
{
	struct stat st;
	long fd = noleak_raw(SYS_openat, AT_FDCWD, (long)path,
			     O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
			     O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0600, 0);

	if (fd < 0)
		return fd == -ENXIO ? NOLEAK_LOG_NOT_REGULAR : (int)fd;
	if (noleak_raw(SYS_fstat, fd, (long)&st, 0, 0, 0) < 0 ||
	    !S_ISREG(st.st_mode)) {
		noleak_raw(SYS_close, fd, 0, 0, 0, 0);
		return NOLEAK_LOG_NOT_REGULAR;
	}
	return (int)fd;
}

/* One datagram to the local syslog socket, "<PRI>noleak[PID]: ...":
 * facility daemon, priority warning.  The newline is not sent.  Never
 * waits: a syslog daemon that stopped reading leaves /dev/log's queue full,
 * and a blocking send would then hang the program at its next spawn.  So
 * the socket is non-blocking, nothing is connected (sendmsg names the
 * address: sendto would need a sixth argument noleak_raw does not pass),
 * and the send is MSG_DONTWAIT | MSG_NOSIGNAL: a full queue fails with
 * EAGAIN instead of waiting. */
static int to_syslog(const char *line, size_t len)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
	char buf[sizeof(((struct noleak_line *)0)->buf) + 8] = "<28>";
	struct iovec iov;
	struct msghdr msg = {
		.msg_name = &addr, .msg_namelen = sizeof(addr),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	long fd = noleak_raw(SYS_socket, AF_UNIX,
			     SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, 0, 0);
	long sent;

	if (fd < 0)
		return -1;
	if (len > sizeof(buf) - 4)
		len = sizeof(buf) - 4;
	memcpy(buf + 4, line, len);
	iov.iov_base = buf;
	iov.iov_len = len + 4;
	sent = noleak_raw(SYS_sendmsg, fd, (long)&msg, MSG_DONTWAIT | MSG_NOSIGNAL,
			  0, 0);
	noleak_raw(SYS_close, fd, 0, 0, 0, 0);
	return sent < 0 ? -1 : 0;
}

/* What descriptor 2 was when the program started: the daemon's own
 * standard error.  A child between fork and exec may have put its output
 * there already (a CGI response socket, a pipe to its parent): a report
 * written to whatever fd 2 is at the time would land in that output. */
static struct {
	int state;		/* STDERR_UNKNOWN, _CLOSED or _OPEN */
	unsigned mode;		/* the file type, S_IFMT bits */
	unsigned long dev, ino;
} stderr_at_start;

enum { STDERR_UNKNOWN, STDERR_CLOSED, STDERR_OPEN };

void noleak_log_note_stderr(void)
{
	struct stat st;

	if (noleak_raw(SYS_fstat, 2, (long)&st, 0, 0, 0) < 0) {
		stderr_at_start.state = STDERR_CLOSED;
		return;
	}
	stderr_at_start.mode = st.st_mode & S_IFMT;
	stderr_at_start.dev = st.st_dev;
	stderr_at_start.ino = st.st_ino;
	stderr_at_start.state = STDERR_OPEN;
}

/* Whether fd 2 is still the file it was at start-up. */
static int stderr_unchanged(void)
{
	struct stat st;

	return stderr_at_start.state == STDERR_OPEN &&
	       noleak_raw(SYS_fstat, 2, (long)&st, 0, 0, 0) == 0 &&
	       (st.st_mode & S_IFMT) == stderr_at_start.mode &&
	       st.st_dev == stderr_at_start.dev && st.st_ino == stderr_at_start.ino;
}

void noleak_line_emit(struct noleak_line *l)
{
	int saved_to = noleak_log_to;

	l->buf[l->len++] = '\n';
	if (saved_to == NOLEAK_LOG_FILE) {
		/* Opened for each line and closed at once: no descriptor of
		 * ours stays in the program, for it to close or to leak. */
		int fd = noleak_log_open(noleak_log_path);

		if (fd >= 0) {
			int bad = write_all(fd, l->buf, l->len);

			noleak_raw(SYS_close, fd, 0, 0, 0, 0);
			if (!bad)
				goto done;
		}
	} else if (saved_to == NOLEAK_LOG_SYSLOG) {
		if (to_syslog(l->buf, l->len - 1) == 0 || noleak_log_no_stderr)
			goto done;
	}
	/* stderr, or the fallback: only the daemon's own, never a
	 * descriptor 2 that now means something else. */
	if (stderr_unchanged())
		write_all(2, l->buf, l->len);
done:
	l->len = 0;
}
