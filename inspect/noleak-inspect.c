/* SPDX-License-Identifier: MIT */
/* noleak-inspect.c: the commands that look at running processes, from
 * /proc, for the person still looking for the leak.  The noleak wrapper
 * runs it for `noleak check`; it changes nothing anywhere.
 *
 *   noleak-inspect check [--json] TARGET...
 *   noleak-inspect watch [OPTION]... PID      (watch.c)
 *
 * TARGET is a PID (what would that process pass to any child it starts?)
 * or a port, :PORT, tcp:PORT or udp:PORT (who holds it, and did each
 * holder inherit it?).  Exit status: 0 when nothing would leak, 1 when
 * something would (or does), 2 on error. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "inspect.h"

#ifndef O_CLOEXEC_OCTAL
#define O_CLOEXEC_OCTAL 02000000	/* O_CLOEXEC as /proc/PID/fdinfo shows it */
#endif

const char *inspect_me = "noleak check";
static int json;

static void vfail(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", inspect_me);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void inspect_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(fmt, ap);
	va_end(ap);
}

void inspect_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", inspect_me);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		inspect_fail("out of memory");
		exit(2);
	}
	return p;
}

/* ---- small readers of /proc ------------------------------------------- */

ssize_t inspect_slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (ssize_t)n;
}

void inspect_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (inspect_slurp(path, buf, len) <= 0)
		snprintf(buf, len, "?");
	buf[strcspn(buf, "\n")] = '\0';
}

/* The parent of pid, or 0. */
static pid_t parent_of(pid_t pid)
{
	pid_t ppid;

	return inspect_stat(pid, NULL, &ppid, NULL) == 0 ? ppid : 0;
}

int inspect_stat(pid_t pid, char *state, pid_t *ppid, unsigned long long *start)
{
	char path[64], buf[1024], *p, st;
	int parent;
	unsigned long long t;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (inspect_slurp(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
		return -1;
	/* After the name: state (3), ppid (4) ... starttime (22). */
	if (sscanf(p + 1, " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u"
		   " %*d %*d %*d %*d %*d %*d %llu", &st, &parent, &t) != 3)
		return -1;
	if (state)
		*state = st;
	if (ppid)
		*ppid = (pid_t)parent;
	if (start)
		*start = t;
	return 0;
}

/* When pid started, in clock ticks since boot, or 0 when it is gone. */
static unsigned long long start_of(pid_t pid)
{
	unsigned long long start;

	return inspect_stat(pid, NULL, NULL, &start) == 0 ? start : 0;
}

/* What /proc/PID/fdinfo/FD says: close-on-exec, and the first lock line. */
struct fdinfo {
	int cloexec;
	char lock[96];		/* "FLOCK WRITE", "POSIX READ"... or "" */
};

static int fdinfo_of(pid_t pid, int fd, struct fdinfo *info)
{
	char path[64], buf[4096], *line;
	unsigned long flags = 0;

	memset(info, 0, sizeof(*info));
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	if (inspect_slurp(path, buf, sizeof(buf)) < 0)
		return -1;
	for (line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (!strncmp(line, "flags:", 6))
			flags = strtoul(line + 6, NULL, 8);
		else if (!strncmp(line, "lock:", 5) && !info->lock[0]) {
			char kind[16], mode[16], rw[16];

			/* "lock:\t1: FLOCK  ADVISORY  WRITE 1234 00:1d:5 0 EOF" */
			if (sscanf(line + 5, " %*d: %15s %15s %15s", kind, mode, rw) == 3)
				snprintf(info->lock, sizeof(info->lock), "%s %s", kind, rw);
			else
				snprintf(info->lock, sizeof(info->lock), "lock");
		}
	}
	info->cloexec = (flags & O_CLOEXEC_OCTAL) != 0;
	return 0;
}

/* ---- sockets ---------------------------------------------------------- */

static const char *tcp_state(unsigned st)
{
	static const char *const names[] = {
		"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
		"FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
		"LISTEN", "CLOSING", "NEW_SYN_RECV"
	};

	return st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

/* "0100007F:1F90" (or 32 hex digits for IPv6) into "127.0.0.1:8080".
 * The kernel prints each 32-bit word as the host sees it, so reading the
 * words back on the same host gives the address bytes in order. */
static int format_addr(const char *hex, int v6, char *out, size_t len, unsigned *port)
{
	unsigned char bytes[16];
	char text[INET6_ADDRSTRLEN], word[9];
	int words = v6 ? 4 : 1;

	for (int i = 0; i < words; i++) {
		uint32_t w;

		memcpy(word, hex + 8 * i, 8);
		word[8] = '\0';
		w = (uint32_t)strtoul(word, NULL, 16);
		memcpy(bytes + 4 * i, &w, 4);
	}
	if (hex[8 * words] != ':')
		return -1;
	*port = (unsigned)strtoul(hex + 8 * words + 1, NULL, 16);
	if (!inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, text, sizeof(text)))
		return -1;
	snprintf(out, len, v6 ? "[%s]:%u" : "%s:%u", text, *port);
	return 0;
}

struct sock {
	unsigned long ino;
	char proto[8];		/* tcp, udp, unix */
	unsigned port;		/* local port, tcp and udp */
	char what[256];		/* "tcp 127.0.0.1:8080 LISTEN" */
};

/* Append to *list every socket of one /proc/.../net table. */
static void read_inet(const char *path, const char *proto, int v6,
		      struct sock **list, size_t *n)
{
	FILE *f = fopen(path, "re");
	char line[512];

	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) {	/* the header */
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char local[64], remote[64], l[80], r[80];
		unsigned st, lport, rport;
		unsigned long ino;
		struct sock *s;

		if (sscanf(line, " %*d: %63s %63s %x %*s %*s %*s %*d %*d %lu",
			   local, remote, &st, &ino) != 4 ||
		    format_addr(local, v6, l, sizeof(l), &lport) ||
		    format_addr(remote, v6, r, sizeof(r), &rport))
			continue;
		*list = xrealloc(*list, (*n + 1) * sizeof(**list));
		s = &(*list)[(*n)++];
		s->ino = ino;
		s->port = lport;
		snprintf(s->proto, sizeof(s->proto), "%s", proto);
		if (!strcmp(proto, "tcp") && st != 10 && rport)
			snprintf(s->what, sizeof(s->what), "tcp %s -> %s %s", l, r, tcp_state(st));
		else if (!strcmp(proto, "tcp"))
			snprintf(s->what, sizeof(s->what), "tcp %s %s", l, tcp_state(st));
		else if (rport)
			snprintf(s->what, sizeof(s->what), "udp %s -> %s", l, r);
		else
			snprintf(s->what, sizeof(s->what), "udp %s", l);
	}
	fclose(f);
}

static void read_unix(const char *path, struct sock **list, size_t *n)
{
	FILE *f = fopen(path, "re");
	char line[4096 + 128];

	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long flags, ino;
		int used = 0;
		struct sock *s;
		char *name;

		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %lu%n", &flags, &ino, &used) != 2)
			continue;
		name = line + used;
		name += strspn(name, " ");
		name[strcspn(name, "\n")] = '\0';
		*list = xrealloc(*list, (*n + 1) * sizeof(**list));
		s = &(*list)[(*n)++];
		s->ino = ino;
		s->port = 0;
		snprintf(s->proto, sizeof(s->proto), "unix");
		snprintf(s->what, sizeof(s->what), "unix %s%s", *name ? name : "(unnamed)",
			 flags & 0x10000 ? " LISTEN" : "");
	}
	fclose(f);
}

/* Every socket in the network namespace of pid (0: this process). */
static struct sock *sockets_of(pid_t pid, size_t *n)
{
	static const struct { const char *file, *proto; int v6; } tables[] = {
		{ "tcp", "tcp", 0 }, { "tcp6", "tcp", 1 },
		{ "udp", "udp", 0 }, { "udp6", "udp", 1 },
	};
	struct sock *list = NULL;
	char path[64];

	*n = 0;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		if (pid)
			snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, tables[i].file);
		else
			snprintf(path, sizeof(path), "/proc/self/net/%s", tables[i].file);
		read_inet(path, tables[i].proto, tables[i].v6, &list, n);
	}
	snprintf(path, sizeof(path), pid ? "/proc/%d/net/unix" : "/proc/self/net/unix", (int)pid);
	read_unix(path, &list, n);
	return list;
}

static const struct sock *find_sock(const struct sock *list, size_t n, unsigned long ino)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].ino == ino)
			return &list[i];
	return NULL;
}

/* ---- what a descriptor is ---------------------------------------------- */

struct desc {
	char what[PATH_MAX + 128];	/* for people */
	char kind[16];		/* file, tcp, udp, unix, socket, pipe, ... */
	int shared;		/* worth looking for other holders */
	dev_t dev;
	ino_t ino;
};

static void describe(pid_t pid, int fd, const struct sock *socks, size_t nsocks,
		     const struct fdinfo *info, struct desc *d)
{
	char path[64], link[PATH_MAX];
	ssize_t len;
	struct stat st;
	unsigned long ino;

	memset(d, 0, sizeof(*d));
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	len = readlink(path, link, sizeof(link) - 1);
	link[len < 0 ? 0 : len] = '\0';
	if (stat(path, &st) == 0) {
		d->dev = st.st_dev;
		d->ino = st.st_ino;
	}
	if (sscanf(link, "socket:[%lu]", &ino) == 1) {
		const struct sock *s = find_sock(socks, nsocks, ino);

		snprintf(d->kind, sizeof(d->kind), "%s", s ? s->proto : "socket");
		if (s)
			snprintf(d->what, sizeof(d->what), "%s", s->what);
		else
			snprintf(d->what, sizeof(d->what), "socket (inode %lu)", ino);
		d->shared = 1;
	} else if (!strncmp(link, "pipe:", 5)) {
		snprintf(d->kind, sizeof(d->kind), "pipe");
		snprintf(d->what, sizeof(d->what), "pipe");
	} else if (!strncmp(link, "anon_inode:", 11)) {
		const char *name = link + 11;
		size_t n = strcspn(name + (*name == '['), "]");

		snprintf(d->kind, sizeof(d->kind), "%.*s", (int)(n < 15 ? n : 15),
			 name + (*name == '['));
		snprintf(d->what, sizeof(d->what), "%s", d->kind);
	} else {
		snprintf(d->kind, sizeof(d->kind), "file");
		snprintf(d->what, sizeof(d->what), "%s", link);
	}
	if (info->lock[0]) {
		size_t used = strlen(d->what);

		snprintf(d->what + used, sizeof(d->what) - used, " (locked: %s)", info->lock);
		d->shared = 1;
	}
}

/* ---- every descriptor of every process --------------------------------- */

struct holder {
	pid_t pid;
	int fd;
	dev_t dev;
	ino_t ino;
};

static struct holder *all;
static size_t nall;

/* Read, once, the identity of every descriptor this user may see. */
static void scan_all(void)
{
	DIR *proc;
	struct dirent *e;
	static int done;

	if (done++)
		return;
	proc = opendir("/proc");
	while (proc && (e = readdir(proc))) {
		char path[64];
		DIR *fds;
		struct dirent *f;
		pid_t pid = (pid_t)atoi(e->d_name);

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
		if (!(fds = opendir(path)))
			continue;
		while ((f = readdir(fds))) {
			char p[sizeof(path) + 256 + 2];
			struct stat st;

			if (!isdigit((unsigned char)f->d_name[0]))
				continue;
			snprintf(p, sizeof(p), "%s/%s", path, f->d_name);
			if (stat(p, &st) != 0)
				continue;
			all = xrealloc(all, (nall + 1) * sizeof(*all));
			all[nall].pid = pid;
			all[nall].fd = atoi(f->d_name);
			all[nall].dev = st.st_dev;
			all[nall].ino = st.st_ino;
			nall++;
		}
		closedir(fds);
	}
	if (proc)
		closedir(proc);
}

/* The device of the socket file system: a socket's identity is its inode
 * number on it. */
static dev_t sockfs_dev(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct stat st;
	dev_t dev = (dev_t)-1;

	if (fd >= 0 && fstat(fd, &st) == 0)
		dev = st.st_dev;
	if (fd >= 0)
		close(fd);
	return dev;
}

/* Among the other processes holding dev:ino, the one that started first,
 * if it started before pid: the likely creator, when no ancestor holds
 * it any more.  0 when there is none. */
static pid_t earlier_holder(pid_t pid, dev_t dev, ino_t ino)
{
	unsigned long long mine = start_of(pid), best = 0;
	pid_t found = 0;

	for (size_t i = 0; i < nall; i++) {
		unsigned long long t;

		if (all[i].pid == pid || all[i].dev != dev || all[i].ino != ino)
			continue;
		t = start_of(all[i].pid);
		/* Ticks are coarse: in a tie, the lower pid came first. */
		if (t && (t < mine || (t == mine && all[i].pid < pid)) &&
		    (!found || t < best)) {
			best = t;
			found = all[i].pid;
		}
	}
	return found;
}

/* The nearest ancestor of pid that holds dev:ino, or 0. */
static pid_t ancestor_holding(pid_t pid, dev_t dev, ino_t ino)
{
	pid_t p = parent_of(pid);

	for (int depth = 0; p > 0 && depth < 64; depth++, p = parent_of(p))
		for (size_t i = 0; i < nall; i++)
			if (all[i].pid == p && all[i].dev == dev && all[i].ino == ino)
				return p;
	return 0;
}

/* ---- output ------------------------------------------------------------ */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* "1250 sleep <- 1 init", or a JSON array of {pid, name}. */
static void print_chain(pid_t pid)
{
	char name[64];
	int first = 1;

	if (json)
		putchar('[');
	for (int depth = 0; pid > 0 && depth < 64; depth++, pid = parent_of(pid)) {
		inspect_comm(pid, name, sizeof(name));
		if (json) {
			printf("%s{\"pid\":%d,\"name\":", first ? "" : ",", (int)pid);
			json_str(name);
			putchar('}');
		} else {
			printf("%s%d %s", first ? "" : " <- ", (int)pid, name);
		}
		first = 0;
	}
	if (json)
		putchar(']');
}

/* ---- check PID ------------------------------------------------------------ */

/* Report what pid would pass to any child; 0 nothing, 1 something, 2 error. */
static int check_pid(pid_t pid, int *first_out)
{
	char path[64], name[64];
	DIR *dir;
	struct dirent *e;
	size_t nsocks, found = 0, total = 0;
	struct sock *socks;
	int *fds = NULL;
	size_t nfds = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if (!(dir = opendir(path))) {
		inspect_fail("cannot read the descriptors of process %d: %s", (int)pid,
		     errno == ENOENT ? "no such process" : strerror(errno));
		return 2;
	}
	while ((e = readdir(dir)))
		if (isdigit((unsigned char)e->d_name[0])) {
			fds = xrealloc(fds, (nfds + 1) * sizeof(*fds));
			fds[nfds++] = atoi(e->d_name);
		}
	closedir(dir);
	inspect_comm(pid, name, sizeof(name));
	socks = sockets_of(pid, &nsocks);

	if (json) {
		printf("%s{\"pid\":%d,\"name\":", *first_out ? "" : ",", (int)pid);
		json_str(name);
		printf(",\"leaks\":[");
	}
	*first_out = 0;
	for (size_t i = 0; i < nfds; i++) {
		struct fdinfo info;
		struct desc d;
		int others = 0;

		if (fds[i] < 3 || fdinfo_of(pid, fds[i], &info) != 0)
			continue;
		total++;
		if (info.cloexec)
			continue;
		describe(pid, fds[i], socks, nsocks, &info, &d);
		if (json) {
			printf("%s{\"fd\":%d,\"kind\":", found ? "," : "", fds[i]);
			json_str(d.kind);
			printf(",\"what\":");
			json_str(d.what);
			printf(",\"locked\":%s,\"holders\":[", info.lock[0] ? "true" : "false");
		} else {
			if (!found)
				printf("%d %s: descriptors that would reach any program it starts:\n",
				       (int)pid, name);
			printf("  fd %-4d %s\n", fds[i], d.what);
		}
		found++;
		if (d.shared && d.ino) {
			scan_all();
			for (size_t h = 0; h < nall; h++) {
				if (all[h].pid == pid || all[h].dev != d.dev || all[h].ino != d.ino)
					continue;
				if (h > 0 && all[h - 1].pid == all[h].pid &&
				    all[h - 1].dev == d.dev && all[h - 1].ino == d.ino)
					continue;	/* one line per process */
				if (json) {
					printf("%s{\"pid\":%d,\"fd\":%d,\"chain\":", others ? "," : "",
					       (int)all[h].pid, all[h].fd);
					print_chain(all[h].pid);
					putchar('}');
				} else {
					printf("          also held by ");
					print_chain(all[h].pid);
					printf(" (fd %d)\n", all[h].fd);
				}
				others++;
			}
		}
		if (json)
			printf("]}");
	}
	if (json)
		printf("],\"descriptors\":%zu}", total);
	else if (!found)
		printf("%d %s: nothing would leak (%zu descriptors from 3 up, all close-on-exec)\n",
		       (int)pid, name, total);
	free(fds);
	free(socks);
	return found ? 1 : 0;
}

/* ---- check :PORT ---------------------------------------------------------- */

static int check_port(const char *proto, unsigned port, int *first_out)
{
	size_t nsocks, shown = 0, leaking = 0;
	struct sock *socks = sockets_of(0, &nsocks);
	dev_t sockfs = sockfs_dev();

	scan_all();
	if (json) {
		printf("%s{\"port\":%u,\"proto\":", *first_out ? "" : ",", port);
		json_str(proto ? proto : "any");
		printf(",\"holders\":[");
	}
	*first_out = 0;
	for (size_t s = 0; s < nsocks; s++) {
		pid_t last = 0;

		if (socks[s].port != port || !strcmp(socks[s].proto, "unix") ||
		    (proto && strcmp(socks[s].proto, proto)))
			continue;
		for (size_t h = 0; h < nall; h++) {
			char name[64];
			struct fdinfo info;
			pid_t from, earlier;

			if (all[h].dev != sockfs || all[h].ino != socks[s].ino)
				continue;
			if (all[h].pid == last)
				continue;	/* one line per process and socket */
			last = all[h].pid;
			fdinfo_of(all[h].pid, all[h].fd, &info);
			inspect_comm(all[h].pid, name, sizeof(name));
			from = ancestor_holding(all[h].pid, all[h].dev, all[h].ino);
			earlier = from ? 0 : earlier_holder(all[h].pid, all[h].dev, all[h].ino);
			if (!info.cloexec || from || earlier)
				leaking++;
			if (json) {
				printf("%s{\"pid\":%d,\"name\":", shown ? "," : "", (int)all[h].pid);
				json_str(name);
				printf(",\"fd\":%d,\"what\":", all[h].fd);
				json_str(socks[s].what);
				printf(",\"cloexec\":%s,\"inherited_from\":",
				       info.cloexec ? "true" : "false");
				if (from)
					printf("%d", (int)from);
				else
					printf("null");
				printf(",\"probably_from\":");
				if (earlier)
					printf("%d", (int)earlier);
				else
					printf("null");
				printf(",\"chain\":");
				print_chain(all[h].pid);
				putchar('}');
			} else {
				if (!shown)
					printf("%s port %u:\n", proto ? proto : "tcp/udp", port);
				printf("  %d %s fd %d: %s, %s", (int)all[h].pid, name, all[h].fd,
				       socks[s].what, info.cloexec ? "close-on-exec"
					       : "reaches its children");
				if (from) {
					inspect_comm(from, name, sizeof(name));
					printf(", inherited from %d %s\n", (int)from, name);
				} else if (earlier) {
					inspect_comm(earlier, name, sizeof(name));
					printf(", probably inherited: %d %s started before it and"
					       " holds the same socket\n", (int)earlier, name);
				} else {
					printf(", no ancestor holds it\n");
				}
			}
			shown++;
		}
	}
	if (json)
		printf("]}");
	else if (!shown)
		printf("%s port %u: no process holds it (or none this user may see)\n",
		       proto ? proto : "tcp/udp", port);
	free(socks);
	return leaking || shown > 1 ? 1 : 0;
}

/* ---- the command line ------------------------------------------------------ */

static void usage(FILE *to)
{
	fprintf(to,
		"Usage: noleak check [--json] PID|:PORT|tcp:PORT|udp:PORT...\n"
		"Show what running processes would pass to the programs they start.\n"
		"\n"
		"  PID        every descriptor from 3 up that lacks close-on-exec, what\n"
		"             it is, and, for sockets and locked files, every other\n"
		"             process that holds the same one, with its parent chain\n"
		"  :PORT      every process that holds a TCP or UDP socket on PORT, and\n"
		"             whether it inherited it (tcp:PORT, udp:PORT: one only)\n"
		"  --json     one JSON document on standard output\n"
		"  -h, --help display this help and exit\n"
		"\n"
		"Exit status: 0 when nothing would leak, 1 when something would (or a\n"
		"port is held by more than one process), 2 on error.  See noleak(1).\n");
}

/* Parse "123" into *pid, or ":80", "tcp:80", "udp:53" into *proto and
 * *port.  Returns 0, or -1 for anything else. */
static int parse_target(const char *arg, pid_t *pid, const char **proto, unsigned *port)
{
	const char *digits = arg;
	char *end;
	unsigned long v;

	*pid = 0;
	*proto = NULL;
	if (!strncmp(arg, "tcp:", 4) || !strncmp(arg, "udp:", 4)) {
		*proto = !strncmp(arg, "tcp:", 4) ? "tcp" : "udp";
		digits = arg + 4;
	} else if (*arg == ':') {
		digits = arg + 1;
	}
	if (!isdigit((unsigned char)*digits))
		return -1;
	errno = 0;
	v = strtoul(digits, &end, 10);
	if (*end || errno)
		return -1;
	if (digits == arg) {
		if (v < 1 || v > INT_MAX)
			return -1;
		*pid = (pid_t)v;
		return 0;
	}
	if (v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

static int check_main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int status = 0, first = 1, c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		if (c == 'j') {
			json = 1;
		} else if (c == 'h') {
			usage(stdout);
			return 0;
		} else {
			inspect_usage_error("unrecognized option '%s'", argv[optind - 1]);
			return 2;
		}
	}
	if (optind == argc) {
		inspect_usage_error("no process or port given");
		return 2;
	}
	/* Every target is checked before anything is printed. */
	for (int j = optind; j < argc; j++) {
		pid_t pid;
		const char *proto;
		unsigned port;

		if (parse_target(argv[j], &pid, &proto, &port)) {
			inspect_fail("invalid target '%s': expected a PID, :PORT, tcp:PORT or udp:PORT",
			     argv[j]);
			return 2;
		}
	}
	if (json)
		printf("{\"results\":[");
	for (int j = optind; j < argc; j++) {
		pid_t pid;
		const char *proto;
		unsigned port;
		int r;

		parse_target(argv[j], &pid, &proto, &port);
		r = pid ? check_pid(pid, &first) : check_port(proto, port, &first);
		if (r > status)
			status = r;
	}
	if (json)
		printf("],\"status\":%d}\n", status);
	return status;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "check"))
		return check_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "watch")) {
		inspect_me = "noleak watch";
		return watch_main(argc - 1, argv + 1);
	}
	if (argc >= 2 && !strcmp(argv[1], "loadable"))
		return loadable_main(argc - 1, argv + 1);
	fprintf(stderr, "usage: noleak-inspect check|watch ...\n"
		"(run through noleak: 'noleak check --help', 'noleak watch --help')\n");
	return 2;
}
