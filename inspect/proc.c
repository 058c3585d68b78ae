/* SPDX-License-Identifier: MIT */
/* proc.c: the readers of /proc that the commands of noleak-inspect share
 * (proc.h): stat fields, names, descriptors and their fdinfo, the socket
 * tables, zombie children, and every process's descriptors.  They print
 * nothing and never exit; the commands decide what a failure means. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "proc.h"

#ifndef O_CLOEXEC_OCTAL
#define O_CLOEXEC_OCTAL 02000000	/* O_CLOEXEC as /proc/PID/fdinfo shows it */
#endif

/* An array that grows by one element at a time. */
struct array {
	void *items;
	size_t n;
	size_t size;		/* of one element */
};

/* A new, zeroed element at the end of a, or NULL with ENOMEM. */
static void *array_add(struct array *a)
{
	char *more = realloc(a->items, (a->n + 1) * a->size);

	if (!more)
		return NULL;
	a->items = more;
	memset(more + a->n * a->size, 0, a->size);
	return more + a->n++ * a->size;
}

/* The end of filling a: r, and when r says it failed (-1), a emptied and
 * errno ENOMEM. */
static int array_end(struct array *a, int r)
{
	if (r) {
		free(a->items);
		a->items = NULL;
		a->n = 0;
		errno = ENOMEM;
	}
	return r;
}

/* The next process of an open /proc, or 0 at the end. */
static pid_t next_pid(DIR *proc)
{
	struct dirent *e;

	while (proc && (e = readdir(proc)))
		if (isdigit((unsigned char)e->d_name[0]))
			return (pid_t)atoi(e->d_name);
	return 0;
}

/* ---- one process ------------------------------------------------------ */

ssize_t proc_slurp(const char *path, char *buf, size_t len)
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

int proc_stat(pid_t pid, char *state, pid_t *ppid, unsigned long long *start)
{
	char path[64], buf[1024], *p, st;
	int parent;
	unsigned long long t;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (proc_slurp(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
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

int proc_group(pid_t pid, pid_t *pgrp, pid_t *sid)
{
	char path[64], buf[1024], *p;
	int g, s;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (proc_slurp(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
		return -1;
	/* After the name: state (3), ppid (4), pgrp (5), session (6). */
	if (sscanf(p + 1, " %*c %*d %d %d", &g, &s) != 2)
		return -1;
	*pgrp = (pid_t)g;
	*sid = (pid_t)s;
	return 0;
}

int proc_alive_since(pid_t pid, unsigned long long ticks)
{
	unsigned long long t = pid > 0 ? proc_start(pid) : 0;

	return t && (!ticks || t <= ticks);
}

pid_t proc_parent(pid_t pid)
{
	pid_t ppid;

	return proc_stat(pid, NULL, &ppid, NULL) == 0 ? ppid : 0;
}

unsigned long long proc_start(pid_t pid)
{
	unsigned long long start;

	return proc_stat(pid, NULL, NULL, &start) == 0 ? start : 0;
}

void proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (proc_slurp(path, buf, len) <= 0)
		snprintf(buf, len, "?");
	buf[strcspn(buf, "\n")] = '\0';
}

int proc_exe(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	size_t deleted = strlen(" (deleted)");

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, buf, len - 1);
	buf[n < 0 ? 0 : n] = '\0';
	/* A program replaced on disk (an upgrade) is still the same program. */
	if (n > (ssize_t)deleted && !strcmp(buf + n - deleted, " (deleted)"))
		buf[n - deleted] = '\0';
	return n > 0 ? 0 : -1;
}

int proc_environ_has(pid_t pid, const char *name)
{
	char path[64], buf[65536];
	ssize_t n;
	size_t len = strlen(name);

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	if ((n = proc_slurp(path, buf, sizeof(buf))) <= 0)
		return 0;
	for (char *e = buf; e < buf + n; e += strlen(e) + 1)
		if (!strncmp(e, name, len) && e[len] == '=')
			return 1;
	return 0;
}

int proc_sock_proto(pid_t pid, int fd, char *buf, size_t len)
{
	char path[64], name[32];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	n = getxattr(path, "system.sockprotoname", name, sizeof(name) - 1);
	if (n <= 0)
		return -1;
	name[n] = '\0';
	for (char *c = name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	/* "tcpv6" is tcp6 in /proc/net's names. */
	if (strlen(name) > 2 && !strcmp(name + strlen(name) - 2, "v6"))
		memmove(name + strlen(name) - 2, "6", 2);
	snprintf(buf, len, "%s", name);
	return 0;
}

int proc_same_program(pid_t a, pid_t b)
{
	char ea[4096], eb[4096];

	return !proc_exe(a, ea, sizeof(ea)) && !proc_exe(b, eb, sizeof(eb)) && !strcmp(ea, eb);
}

long proc_fds(pid_t pid, int **fds)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	struct array a = { NULL, 0, sizeof(int) };
	long n = 0;
	int r = 0;

	if (fds)
		*fds = NULL;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if (!(d = opendir(path)))
		return -1;
	while (!r && (e = readdir(d))) {
		int *fd;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		n++;
		if (!fds)
			continue;
		if ((fd = array_add(&a)))
			*fd = atoi(e->d_name);
		else
			r = -1;
	}
	closedir(d);
	if (array_end(&a, r))
		return -1;
	if (fds)
		*fds = a.items;
	return n;
}

long proc_zombies(pid_t pid)
{
	DIR *proc = opendir("/proc");
	pid_t p;
	long n = 0;

	while ((p = next_pid(proc))) {
		char state;
		pid_t ppid;

		if (proc_stat(p, &state, &ppid, NULL) == 0 && ppid == pid && state == 'Z')
			n++;
	}
	if (proc)
		closedir(proc);
	return n;
}

/* "lock:\t1: FLOCK  ADVISORY  WRITE 1234 00:1d:5 0 EOF" into "FLOCK WRITE"
 * and *pid 1234 (the process that took it; -1 for an OFD lock). */
static void lock_of(const char *line, char *lock, size_t len, pid_t *pid)
{
	char kind[16], mode[16], rw[16];
	int taker = 0;

	if (sscanf(line + 5, " %*d: %15s %15s %15s %d", kind, mode, rw, &taker) >= 3)
		snprintf(lock, len, "%s %s", kind, rw);
	else
		snprintf(lock, len, "lock");
	*pid = (pid_t)taker;
}

int proc_fdinfo(pid_t pid, int fd, struct proc_fdinfo *info)
{
	char path[64], buf[4096], *line;
	unsigned long flags = 0;

	memset(info, 0, sizeof(*info));
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	if (proc_slurp(path, buf, sizeof(buf)) < 0)
		return -1;
	for (line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (!strncmp(line, "flags:", 6))
			flags = strtoul(line + 6, NULL, 8);
		else if (!strncmp(line, "lock:", 5) && !info->lock[0])
			lock_of(line, info->lock, sizeof(info->lock), &info->lock_pid);
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

/* The 16 bytes of an IPv6 address as people write it: an IPv4-mapped
 * address as dotted IPv4 ("127.0.0.1"), any other in the compressed form
 * of RFC 5952 ("[::1]", "[2001:db8::1]"): lower case, no leading zeros,
 * the longest run of two or more zero groups (the first of equals) as
 * "::".  Written here, not left to inet_ntop, whose form varies between
 * C libraries. */
static void format_v6(const unsigned char *b, char *out, size_t len)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned g[8];
	int best = -1, best_len = 1, used = 0;

	if (!memcmp(b, mapped, sizeof(mapped))) {
		snprintf(out, len, "%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
		return;
	}
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
	for (int i = 0, run; i < 8; i += run ? run : 1) {
		for (run = 0; i + run < 8 && !g[i + run]; run++)
			;
		if (run > best_len) {
			best = i;
			best_len = run;
		}
	}
	used = snprintf(out, len, "[");
	for (int i = 0; i < 8 && used < (int)len; i++) {
		if (i == best) {
			used += snprintf(out + used, len - used, "::");
			i += best_len - 1;
			continue;
		}
		used += snprintf(out + used, len - used, "%s%x",
				 i && i != best + best_len ? ":" : "", g[i]);
	}
	if (used < (int)len)
		snprintf(out + used, len - used, "]");
}

/* "0100007F:1F90" (or 32 hex digits for IPv6) into "127.0.0.1:8080".
 * The kernel prints each 32-bit word as the host sees it, so reading the
 * words back on the same host gives the address bytes in order. */
static int format_addr(const char *hex, int v6, char *out, size_t len, unsigned *port)
{
	unsigned char bytes[16];
	char text[64], word[9];
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
	if (v6)
		format_v6(bytes, text, sizeof(text));
	else
		snprintf(text, sizeof(text), "%u.%u.%u.%u", bytes[0], bytes[1], bytes[2], bytes[3]);
	snprintf(out, len, "%s:%u", text, *port);
	return 0;
}

/* Open a /proc/.../net table and read past its header; NULL when it
 * cannot be read. */
static FILE *open_table(const char *path, char *line, size_t len)
{
	FILE *f = fopen(path, "re");

	if (f && !fgets(line, (int)len, f)) {
		fclose(f);
		return NULL;
	}
	return f;
}

/* Describe an inet socket of s->proto: local address l, remote r, state
 * st (TCP's numbers), remote port rport. */
static void inet_what(struct proc_sock *s, const char *l, const char *r,
		      unsigned st, unsigned rport)
{
	int tcp = !strcmp(s->proto, "tcp");

	s->listening = tcp && st == 10;
	if (!strcmp(s->proto, "raw"))	/* the "port" is the IP protocol */
		snprintf(s->what, sizeof(s->what), "raw %.*s, IP protocol %u",
			 (int)(strrchr(l, ':') - l), l, s->port);
	else if (tcp && st != 10 && rport)
		snprintf(s->what, sizeof(s->what), "tcp %s -> %s %s", l, r, tcp_state(st));
	else if (tcp)
		snprintf(s->what, sizeof(s->what), "tcp %s %s", l, tcp_state(st));
	else if (rport)
		snprintf(s->what, sizeof(s->what), "%s %s -> %s", s->proto, l, r);
	else
		snprintf(s->what, sizeof(s->what), "%s %s", s->proto, l);
}

/* Append to s every socket of one /proc/.../net/{tcp,udp,udplite,raw,icmp}[6]
 * table.  0, or -1 with ENOMEM. */
static int read_inet(const char *path, const char *proto, int v6, struct array *s)
{
	char line[512];
	FILE *f = open_table(path, line, sizeof(line));
	int r = 0;

	while (f && fgets(line, sizeof(line), f)) {
		char local[64], remote[64], l[80], rem[80];
		unsigned st, lport, rport;
		unsigned long ino;
		struct proc_sock *sock;

		if (sscanf(line, " %*d: %63s %63s %x %*s %*s %*s %*d %*d %lu",
			   local, remote, &st, &ino) != 4 ||
		    format_addr(local, v6, l, sizeof(l), &lport) ||
		    format_addr(remote, v6, rem, sizeof(rem), &rport))
			continue;
		if (!(sock = array_add(s))) {
			r = -1;
			break;
		}
		sock->ino = ino;
		sock->port = lport;
		snprintf(sock->proto, sizeof(sock->proto), "%s", proto);
		inet_what(sock, l, rem, st, rport);
	}
	if (f)
		fclose(f);
	return r;
}

/* Append to s every socket of a /proc/.../net/unix table.  0, or -1 with
 * ENOMEM. */
static int read_unix(const char *path, struct array *s)
{
	char line[4096 + 128];
	FILE *f = open_table(path, line, sizeof(line));
	int r = 0;

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long flags, ino;
		int used = 0;
		struct proc_sock *sock;
		char *name;

		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %lu%n", &flags, &ino, &used) != 2)
			continue;
		name = line + used;
		name += strspn(name, " ");
		name[strcspn(name, "\n")] = '\0';
		if (!(sock = array_add(s))) {
			r = -1;
			break;
		}
		sock->ino = ino;
		sock->listening = (flags & 0x10000) != 0;	/* __SO_ACCEPTCON */
		snprintf(sock->proto, sizeof(sock->proto), "unix");
		snprintf(sock->what, sizeof(sock->what), "unix %s%s", *name ? name : "(unnamed)",
			 sock->listening ? " LISTEN" : "");
	}
	if (f)
		fclose(f);
	return r;
}

/* The name of a netlink protocol number, or NULL. */
static const char *netlink_name(unsigned eth)
{
	static const char *const names[] = {
		[0] = "route", [4] = "sock_diag", [6] = "xfrm", [9] = "audit",
		[10] = "fib_lookup", [11] = "connector", [12] = "netfilter",
		[15] = "kobject_uevent", [16] = "generic",
	};

	return eth < sizeof(names) / sizeof(names[0]) ? names[eth] : NULL;
}

/* Append to s every socket of /proc/.../net/netlink (netlink 1) or
 * /proc/.../net/packet (0): the inode is column 10 or 9.  0, or -1 with
 * ENOMEM. */
static int read_other(const char *path, int netlink, struct array *s)
{
	char line[512];
	FILE *f = open_table(path, line, sizeof(line));
	int r = 0;

	while (f && fgets(line, sizeof(line), f)) {
		unsigned a, b;
		unsigned long ino;
		struct proc_sock *sock;
		int got = netlink ?
			sscanf(line, "%*s %u %u %*s %*s %*s %*s %*s %*s %lu", &a, &b, &ino) :
			sscanf(line, "%*s %*s %u %x %*s %*s %*s %*s %lu", &a, &b, &ino);

		if (got != 3)
			continue;
		if (!(sock = array_add(s))) {
			r = -1;
			break;
		}
		sock->ino = ino;
		snprintf(sock->proto, sizeof(sock->proto), netlink ? "netlink" : "packet");
		if (netlink && netlink_name(a))
			snprintf(sock->what, sizeof(sock->what), "netlink %s, port id %u",
				 netlink_name(a), b);
		else if (netlink)
			snprintf(sock->what, sizeof(sock->what), "netlink protocol %u, port id %u", a, b);
		else
			snprintf(sock->what, sizeof(sock->what), "packet socket, %s, protocol 0x%04x",
				 a == 3 ? "raw" : a == 2 ? "datagram" : "other", b);
	}
	if (f)
		fclose(f);
	return r;
}

/* The path of table file in the network namespace of pid (0: this
 * process) into path. */
static void table_path(char *path, size_t len, pid_t pid, const char *file)
{
	if (pid)
		snprintf(path, len, "/proc/%d/net/%s", (int)pid, file);
	else
		snprintf(path, len, "/proc/self/net/%s", file);
}

int proc_sockets(pid_t pid, struct proc_sock **list, size_t *n)
{
	static const struct { const char *file, *proto; int v6; } tables[] = {
		{ "tcp", "tcp", 0 }, { "tcp6", "tcp", 1 },
		{ "udp", "udp", 0 }, { "udp6", "udp", 1 },
		{ "udplite", "udplite", 0 }, { "udplite6", "udplite", 1 },
		{ "raw", "raw", 0 }, { "raw6", "raw", 1 },
		{ "icmp", "icmp", 0 }, { "icmp6", "icmp", 1 },
	};
	struct array s = { NULL, 0, sizeof(struct proc_sock) };
	char path[64];
	int r = 0;

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]) && !r; i++) {
		table_path(path, sizeof(path), pid, tables[i].file);
		r = read_inet(path, tables[i].proto, tables[i].v6, &s);
	}
	table_path(path, sizeof(path), pid, "unix");
	if (!r)
		r = read_unix(path, &s);
	table_path(path, sizeof(path), pid, "netlink");
	if (!r)
		r = read_other(path, 1, &s);
	table_path(path, sizeof(path), pid, "packet");
	if (!r)
		r = read_other(path, 0, &s);
	r = array_end(&s, r);
	*list = s.items;
	*n = s.n;
	return r;
}

const struct proc_sock *proc_find_sock(const struct proc_sock *list, size_t n,
				       unsigned long ino)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].ino == ino)
			return &list[i];
	return NULL;
}

/* ---- every process ------------------------------------------------------ */

/* Append to h the identity of every descriptor of pid.  0, or -1 with
 * ENOMEM; a process that is gone, or hidden from this user, adds nothing
 * (and a hidden one counts in *hidden). */
static int holders_of(pid_t pid, struct array *h, size_t *hidden)
{
	int *fds;
	long n = proc_fds(pid, &fds);
	int r = 0;

	if (n < 0 && (errno == EACCES || errno == EPERM))
		++*hidden;
	if (n < 0)
		return errno == ENOMEM ? -1 : 0;
	for (long i = 0; i < n && !r; i++) {
		char path[64];
		struct stat st;
		struct proc_holder *holder;

		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fds[i]);
		if (stat(path, &st) != 0)
			continue;
		if ((holder = array_add(h)))
			*holder = (struct proc_holder){ pid, fds[i], st.st_dev, st.st_ino, st.st_mode };
		else
			r = -1;
	}
	free(fds);
	return r;
}

int proc_holders(struct proc_holder **list, size_t *n, size_t *hidden)
{
	DIR *proc = opendir("/proc");
	struct array h = { NULL, 0, sizeof(struct proc_holder) };
	pid_t pid;
	size_t none;
	int r = 0;

	if (!hidden)
		hidden = &none;
	*hidden = 0;
	while (!r && (pid = next_pid(proc)))
		r = holders_of(pid, &h, hidden);
	if (proc)
		closedir(proc);
	r = array_end(&h, r);
	*list = h.items;
	*n = h.n;
	return r;
}

dev_t proc_sockfs_dev(void)
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
