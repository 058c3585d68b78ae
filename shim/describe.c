/* SPDX-License-Identifier: MIT */
/* describe.c: what a descriptor is, asked of the kernel without
 * allocating: its /proc/self/fd link, its socket's kind and address,
 * whether it holds a file lock, whether it is a pipe.  Used for the
 * keep-list's entries that name a resource (tcp:8080, unix:PATH,
 * path:GLOB), the locks an exec in place keeps, the jobserver's pipes, and
 * the words of a report ("tcp 127.0.0.1:8080 LISTEN").
 *
 * In the async-signal-safe zone: raw system calls and the stack only. */
#include "describe.h"
#include "fds.h"
#include "raw.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

/* ---- pipes, locks ---------------------------------------------------- */

void noleak_keep_pipes(struct noleak_fdset *set, size_t from)
{
	struct stat st;
	size_t out = from;

	for (size_t i = from; i < set->n; i++)
		if (noleak_raw(SYS_fstat, set->fd[i], (long)&st, 0, 0, 0) == 0 &&
		    S_ISFIFO(st.st_mode))
			set->fd[out++] = set->fd[i];
	set->n = out;
}

/* Write prefix and the decimal fd into path. */
static void put_fd_path(char *path, const char *prefix, int fd)
{
	char digits[12];
	size_t len = 0;
	int n = 0;

	while (*prefix)
		path[len++] = *prefix++;
	do {
		digits[n++] = (char)('0' + fd % 10);
		fd /= 10;
	} while (fd);
	while (n)
		path[len++] = digits[--n];
	path[len] = '\0';
}

/* The target of /proc/self/fd/fd into link (of size len), NUL-terminated;
 * its length, or 0 when there is none (no /proc, a closed number). */
static long fd_link(int fd, char *link, size_t len)
{
	char path[40];
	long n;

	put_fd_path(path, "/proc/self/fd/", fd);
	n = noleak_raw(SYS_readlinkat, AT_FDCWD, (long)path, (long)link,
		       (long)len - 1, 0);
	if (n < 0)
		n = 0;
	link[n] = '\0';
	return n;
}

/* Whether /proc/self/fdinfo/fd has a "lock:" line. */
static int holds_lock(int fd)
{
	char path[40], buf[1024];
	int info;
	long got;

	put_fd_path(path, "/proc/self/fdinfo/", fd);
	info = (int)noleak_raw(SYS_openat, AT_FDCWD, (long)path,
			       O_RDONLY | O_CLOEXEC, 0, 0);
	if (info < 0)
		return 0;
	got = noleak_raw(SYS_read, info, (long)buf, sizeof(buf) - 1, 0, 0);
	noleak_raw(SYS_close, info, 0, 0, 0, 0);
	if (got <= 0)
		return 0;
	buf[got] = '\0';
	for (long i = 0; i + 5 <= got; i++)
		if ((i == 0 || buf[i - 1] == '\n') && !__builtin_memcmp(buf + i, "lock:", 5))
			return 1;
	return 0;
}

static void add_if_locked(int fd, void *ctx)
{
	struct noleak_fdset *set = ctx;

	if (fd >= 3 && set->n < NOLEAK_FDSET_MAX && holds_lock(fd))
		set->fd[set->n++] = fd;
}

void noleak_locked_fds(struct noleak_fdset *set)
{
	noleak_fds_from_proc(add_if_locked, set);
}

/* ---- keep-list entries that name a resource ------------------------ */

/* A SOL_SOCKET option of fd, or -1 (not a socket). */
static int sockopt(int fd, int opt)
{
	int v = -1;
	unsigned len = sizeof(v);

	if (noleak_raw(SYS_getsockopt, fd, SOL_SOCKET, opt, (long)&v, (long)&len) < 0)
		return -1;
	return v;
}

int noleak_fd_listening(int fd)
{
	return sockopt(fd, SO_ACCEPTCONN) == 1;
}

/* Any socket address the kernel may give back. */
union sockaddr_any {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_un un;
};

/* getsockname into *a; the length, or -1. */
static long local_address(int fd, union sockaddr_any *a)
{
	unsigned len = sizeof(*a);

	__builtin_memset(a, 0, sizeof(*a));
	if (noleak_raw(SYS_getsockname, fd, (long)a, (long)&len, 0, 0) < 0)
		return -1;
	return len;
}

/* Whether socket fd is what r names. */
static int socket_matches(int fd, const struct noleak_resource *r)
{
	union sockaddr_any a;
	int type;

	if (local_address(fd, &a) < 0)
		return 0;
	if (r->kind == NOLEAK_RES_UNIX)
		return a.sa.sa_family == AF_UNIX &&
		       !__builtin_strncmp(a.un.sun_path, r->text, sizeof(a.un.sun_path));
	if (a.sa.sa_family != AF_INET && a.sa.sa_family != AF_INET6)
		return 0;
	type = sockopt(fd, SO_TYPE);
	if (type != (r->kind == NOLEAK_RES_TCP ? SOCK_STREAM : SOCK_DGRAM) ||
	    __builtin_bswap16(a.in.sin_port) != r->port)
		return 0;
	if (!r->family)
		return 1;
	if (r->family != a.sa.sa_family)
		return 0;
	return r->family == AF_INET
	       ? !__builtin_memcmp(&a.in.sin_addr, r->addr, 4)
	       : !__builtin_memcmp(&a.in6.sin6_addr, r->addr, 16);
}

struct resources {
	const struct noleak_keep *keep;
	struct noleak_fdset *set;
};

static void add_if_named(int fd, void *ctx)
{
	struct resources *rs = ctx;
	char link[256];
	long n = -1;
	int sock = -1;

	if (fd < 3 || rs->set->n >= NOLEAK_FDSET_MAX)
		return;
	for (size_t i = 0; i < rs->keep->nres; i++) {
		const struct noleak_resource *r = &rs->keep->res[i];
		int hit;

		if (r->kind == NOLEAK_RES_PATH) {
			if (n < 0)
				n = fd_link(fd, link, sizeof(link));
			hit = n > 0 && link[0] == '/' && noleak_glob_match(r->text, link);
		} else {
			if (sock < 0)
				sock = sockopt(fd, SO_TYPE) >= 0;
			hit = sock && socket_matches(fd, r);
		}
		if (hit) {
			rs->set->fd[rs->set->n++] = fd;
			return;
		}
	}
}

void noleak_keep_resources(const struct noleak_keep *keep, struct noleak_fdset *set)
{
	struct resources rs = { keep, set };

	if (!keep->nres)
		return;
	noleak_fds_any_way(add_if_named, &rs, NOLEAK_SCAN_CAP);
}

/* ---- what a descriptor is, in words --------------------------------- */

static void put_hex16(struct noleak_line *l, unsigned v)
{
	static const char hex[] = "0123456789abcdef";
	char buf[4];
	int n = 0, started = 0;

	for (int shift = 12; shift >= 0; shift -= 4) {
		unsigned d = (v >> shift) & 15;

		if (d || started || shift == 0) {
			buf[n++] = hex[d];
			started = 1;
		}
	}
	noleak_line_mem(l, buf, (size_t)n);
}

static void describe_socket(struct noleak_line *l, int fd)
{
	union sockaddr_any a;
	long len = local_address(fd, &a);
	int type = sockopt(fd, SO_TYPE), listening = noleak_fd_listening(fd);

	if (len < 0) {
		noleak_line_str(l, "socket");
		return;
	}
	if (a.sa.sa_family == AF_INET || a.sa.sa_family == AF_INET6) {
		noleak_line_str(l, type == SOCK_STREAM ? "tcp " :
				   type == SOCK_DGRAM ? "udp " : "inet ");
		if (a.sa.sa_family == AF_INET) {
			const unsigned char *b = (const unsigned char *)&a.in.sin_addr;

			for (int i = 0; i < 4; i++) {
				if (i)
					noleak_line_str(l, ".");
				noleak_line_int(l, b[i]);
			}
		} else {
			const unsigned char *b = (const unsigned char *)&a.in6.sin6_addr;

			noleak_line_str(l, "[");
			for (int i = 0; i < 16; i += 2) {
				if (i)
					noleak_line_str(l, ":");
				put_hex16(l, (unsigned)(b[i] << 8 | b[i + 1]));
			}
			noleak_line_str(l, "]");
		}
		noleak_line_str(l, ":");
		noleak_line_int(l, (long)__builtin_bswap16(a.in.sin_port));
	} else if (a.sa.sa_family == AF_UNIX) {
		size_t off = __builtin_offsetof(struct sockaddr_un, sun_path);
		size_t n = (size_t)len > off ? (size_t)len - off : 0;

		noleak_line_str(l, "unix ");
		if (n == 0 || (n == 1 && !a.un.sun_path[0])) {
			noleak_line_str(l, "(unnamed)");
		} else if (!a.un.sun_path[0]) {
			noleak_line_str(l, "@");	/* abstract */
			noleak_line_mem(l, a.un.sun_path + 1, n - 1);
		} else {
			noleak_line_mem(l, a.un.sun_path, __builtin_strnlen(a.un.sun_path, n));
		}
	} else {
		noleak_line_str(l, "socket (family ");
		noleak_line_int(l, a.sa.sa_family);
		noleak_line_str(l, ")");
	}
	if (listening)
		noleak_line_str(l, " LISTEN");
}

void noleak_describe_fd(struct noleak_line *l, int fd)
{
	char link[256];

	if (!fd_link(fd, link, sizeof(link))) {	/* no /proc: a socket can still say what it is */
		if (sockopt(fd, SO_TYPE) >= 0)
			describe_socket(l, fd);
		else
			noleak_line_str(l, "descriptor");
		return;
	}
	if (!__builtin_strncmp(link, "socket:", 7))
		describe_socket(l, fd);
	else if (!__builtin_strncmp(link, "pipe:", 5))
		noleak_line_str(l, "pipe");
	else if (!__builtin_strncmp(link, "anon_inode:", 11)) {
		const char *name = link + 11 + (link[11] == '[');
		size_t len = 0;

		while (name[len] && name[len] != ']')
			len++;
		noleak_line_mem(l, name, len);
	} else {
		noleak_line_str(l, link);
	}
}
