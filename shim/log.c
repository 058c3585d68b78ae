/* SPDX-License-Identifier: MIT */
/* log.c: the shim's own messages.
 *
 * Lines are built in a fixed buffer on the caller's stack and written with
 * one raw write(2) that leaves errno alone, so a message can be produced
 * anywhere, including between vfork and exec.  They go where NOLEAK_LOG
 * says: standard error (the default), syslog, or a file; never to the
 * host's standard output.
 *
 * A log file is opened once, at set-up, by the process the library starts
 * in, before it can drop privileges, and the descriptor is kept: numbered
 * high, close-on-exec, inherited by every fork.  A worker that switched to
 * another user still writes through it.  Each line checks that the
 * descriptor is still the log (the program may have closed it or put
 * something else at its number) and that the path still names it
 * (logrotate's create mode renamed it): if not, the path is opened again;
 * when that fails, the old file still takes the lines.  copytruncate needs
 * nothing: the file is written in append mode. */
#include "log.h"
#include "raw.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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
 * written to.  create: O_CREAT, mode 0600.  *st gets the file's status. */
static int open_log(const char *path, int create, struct stat *st)
{
	long fd = noleak_raw(SYS_openat, AT_FDCWD, (long)path,
			     O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY |
			     O_NONBLOCK | (create ? O_CREAT : 0), 0600, 0);

	if (fd < 0)
		return fd == -ENXIO ? NOLEAK_LOG_NOT_REGULAR : (int)fd;
	if (noleak_raw(SYS_fstat, fd, (long)st, 0, 0, 0) < 0 ||
	    !S_ISREG(st->st_mode)) {
		noleak_raw(SYS_close, fd, 0, 0, 0, 0);
		return NOLEAK_LOG_NOT_REGULAR;
	}
	return (int)fd;
}

int noleak_log_open(const char *path)
{
	struct stat st;

	return open_log(path, 1, &st);
}

/* The library's own descriptor to the log file, while held is set: what
 * file it is (dev, ino), and the process whose descriptor table it is in.
 * That process alone moves it (a fork's child becomes that process through
 * noleak_log_forked; a vfork child, or the shim's own spawn child, shares
 * this memory but not the table, and moves nothing).  Zero-initialized:
 * nothing of it is written at load. */
static struct {
	int held, fd;
	unsigned long dev, ino;
	long owner;
} log_fd;

/* The pid that said it could not write to the log: once per process. */
static long said_by;

static long my_pid(void)
{
	return noleak_raw(SYS_getpid, 0, 0, 0, 0, 0);
}

/* Move fd to a number out of the program's way, close-on-exec: from seven
 * eighths of the soft descriptor limit (at most 1024) up, below what a
 * program counts on (0 to 2, the first few it opens, dup2 targets such as
 * 3 or 4), but where an fd_set still holds it.  Where nothing is free up
 * there, from 3: never 0 to 2.  Returns the new number (fd is closed), or
 * fd itself when it cannot be moved. */
static int out_of_the_way(int fd)
{
	struct { unsigned long cur, max; } lim = { 1024, 1024 };
	unsigned long top;
	long moved;

	if (noleak_raw(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&lim, 0) < 0)
		lim.cur = 1024;
	top = lim.cur < 1024 ? lim.cur : 1024;
	moved = noleak_raw(SYS_fcntl, fd, F_DUPFD_CLOEXEC, (long)(top - top / 8), 0, 0);
	if (moved < 0)
		moved = noleak_raw(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3, 0, 0);
	if (moved < 0)
		return fd;
	noleak_raw(SYS_close, fd, 0, 0, 0, 0);
	return (int)moved;
}

/* Make fd (open on the file st describes) the held descriptor: at the
 * number onto (the held descriptor, still the library's), or at a number
 * of its own when onto is -1. */
static void hold(int fd, const struct stat *st, int onto)
{
	if (onto >= 0 && noleak_raw(SYS_dup3, fd, onto, O_CLOEXEC, 0, 0) >= 0) {
		noleak_raw(SYS_close, fd, 0, 0, 0, 0);
		fd = onto;
	} else {
		fd = out_of_the_way(fd);
	}
	log_fd.fd = fd;
	log_fd.dev = st->st_dev;
	log_fd.ino = st->st_ino;
	log_fd.owner = my_pid();
	log_fd.held = 1;
}

int noleak_log_hold(int fd)
{
	struct stat st;

	if (noleak_raw(SYS_fstat, fd, (long)&st, 0, 0, 0) < 0)
		return -1;
	hold(fd, &st, -1);
	return log_fd.fd;
}

void noleak_log_forked(void)
{
	if (log_fd.held)
		log_fd.owner = my_pid();
}

/* Whether fd is open on the file dev:ino. */
static int is_file(int fd, unsigned long dev, unsigned long ino, struct stat *st)
{
	return noleak_raw(SYS_fstat, fd, (long)st, 0, 0, 0) == 0 &&
	       S_ISREG(st->st_mode) && st->st_dev == dev && st->st_ino == ino;
}

/* Append the line to the log file: through the held descriptor while the
 * path still names its file; else through the path, opened again (and
 * held, by the process that owns the descriptor); else, when that fails,
 * through the held descriptor still (rotated away, the old file takes the
 * lines: a worker that changed user may not open the new one).  Returns 0,
 * or -errno of the failure. */
static int to_file(const char *buf, size_t len)
{
	struct stat held, now;
	int ours = log_fd.held && is_file(log_fd.fd, log_fd.dev, log_fd.ino, &held);
	int mine = log_fd.owner == my_pid();
	long named;
	int fd;

	if (ours) {
		named = noleak_raw(SYS_newfstatat, AT_FDCWD, (long)noleak_log_path,
				   (long)&now, AT_SYMLINK_NOFOLLOW, 0);
		/* Named still, or the path cannot be looked at (a worker
		 * that lost the right to search its directory): as it is. */
		if ((named == 0 && now.st_dev == held.st_dev &&
		     now.st_ino == held.st_ino) || (named < 0 && named != -ENOENT))
			return write_all(log_fd.fd, buf, len) ? -EIO : 0;
	}
	/* Gone (the program closed it, or put another file at its number),
	 * or rotated away: the path again.  Created only when nothing else
	 * will: logrotate's create mode makes the new file itself, and a
	 * file removed for good (no link left) is made again. */
	fd = open_log(noleak_log_path, !ours || held.st_nlink == 0, &now);
	if (fd >= 0) {
		if (mine) {
			hold(fd, &now, ours ? log_fd.fd : -1);
			fd = log_fd.fd;
		}
		if (write_all(fd, buf, len) == 0) {
			if (!mine)
				noleak_raw(SYS_close, fd, 0, 0, 0, 0);
			return 0;
		}
		if (!mine)
			noleak_raw(SYS_close, fd, 0, 0, 0, 0);
	}
	if (ours && write_all(log_fd.fd, buf, len) == 0)
		return 0;
	return fd < 0 ? fd : -EIO;
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

/* Whether fd 2 is /dev/null (character device 1:3): a line written there
 * is a line lost. */
static int stderr_is_null(void)
{
	struct stat st;

	return noleak_raw(SYS_fstat, 2, (long)&st, 0, 0, 0) == 0 &&
	       S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

/* The log file cannot take the line, nor the daemon's own standard error:
 * say so once in this process, on syslog (which then takes its lines),
 * naming the log, the user and the reason. */
static void cannot_write(int err)
{
	struct noleak_line l;
	long me = my_pid();
	const char *why = err == -EACCES ? "permission denied" :
			  err == -EPERM ? "operation not permitted" :
			  err == -ENOENT ? "no such file" :
			  err == -ELOOP ? "it is a symbolic link" :
			  err == NOLEAK_LOG_NOT_REGULAR ? "not a regular file" :
			  err == -ENOSPC ? "no space left" : "write failed";

	if (__atomic_load_n(&said_by, __ATOMIC_RELAXED) == me)
		return;
	__atomic_store_n(&said_by, me, __ATOMIC_RELAXED);
	noleak_line_begin(&l);
	noleak_line_str(&l, "cannot write to the log ");
	noleak_line_str(&l, noleak_log_path);
	noleak_line_str(&l, " as uid ");
	noleak_line_int(&l, noleak_raw(SYS_geteuid, 0, 0, 0, 0, 0));
	noleak_line_str(&l, " (");
	noleak_line_str(&l, why);
	noleak_line_str(&l, "); this process's reports go to syslog");
	to_syslog(l.buf, l.len);
}

void noleak_line_emit(struct noleak_line *l)
{
	int saved_to = noleak_log_to;

	l->buf[l->len++] = '\n';
	if (saved_to == NOLEAK_LOG_FILE) {
		int err = to_file(l->buf, l->len);

		if (err == 0)
			goto done;
		/* The daemon's own standard error, if it is still there and
		 * is not /dev/null; else syslog, saying why once. */
		if (stderr_unchanged() && !stderr_is_null() &&
		    write_all(2, l->buf, l->len) == 0)
			goto done;
		cannot_write(err);
		to_syslog(l->buf, l->len - 1);
		goto done;
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
