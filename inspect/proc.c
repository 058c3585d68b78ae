/* SPDX-License-Identifier: MIT */
/* proc.c: the readers of /proc that the commands of noleak-inspect share
 * (proc.h): stat fields, names, descriptors and their fdinfo, the socket
 * tables, zombie children, and every process's descriptors.  They print
 * nothing and never exit; the commands decide what a failure means. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

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

/* "lock:\t1: FLOCK  ADVISORY  WRITE 1234 00:1d:5 0 EOF" into "FLOCK WRITE". */
static void lock_of(const char *line, char *lock, size_t len)
{
	char kind[16], mode[16], rw[16];

	if (sscanf(line + 5, " %*d: %15s %15s %15s", kind, mode, rw) == 3)
		snprintf(lock, len, "%s %s", kind, rw);
	else
		snprintf(lock, len, "lock");
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
			lock_of(line, info->lock, sizeof(info->lock));
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

/* Describe a TCP or UDP socket: local address l, remote r, state st. */
static void inet_what(struct proc_sock *s, const char *l, const char *r,
		      unsigned st, unsigned rport)
{
	if (!strcmp(s->proto, "tcp") && st != 10 && rport)
		snprintf(s->what, sizeof(s->what), "tcp %s -> %s %s", l, r, tcp_state(st));
	else if (!strcmp(s->proto, "tcp"))
		snprintf(s->what, sizeof(s->what), "tcp %s %s", l, tcp_state(st));
	else if (rport)
		snprintf(s->what, sizeof(s->what), "udp %s -> %s", l, r);
	else
		snprintf(s->what, sizeof(s->what), "udp %s", l);
}

/* Append to s every socket of one /proc/.../net/{tcp,udp}[6] table.
 * 0, or -1 with ENOMEM. */
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
		snprintf(sock->proto, sizeof(sock->proto), "unix");
		snprintf(sock->what, sizeof(sock->what), "unix %s%s", *name ? name : "(unnamed)",
			 flags & 0x10000 ? " LISTEN" : "");
	}
	if (f)
		fclose(f);
	return r;
}

int proc_sockets(pid_t pid, struct proc_sock **list, size_t *n)
{
	static const struct { const char *file, *proto; int v6; } tables[] = {
		{ "tcp", "tcp", 0 }, { "tcp6", "tcp", 1 },
		{ "udp", "udp", 0 }, { "udp6", "udp", 1 },
	};
	struct array s = { NULL, 0, sizeof(struct proc_sock) };
	char path[64];
	int r = 0;

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]) && !r; i++) {
		if (pid)
			snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, tables[i].file);
		else
			snprintf(path, sizeof(path), "/proc/self/net/%s", tables[i].file);
		r = read_inet(path, tables[i].proto, tables[i].v6, &s);
	}
	snprintf(path, sizeof(path), pid ? "/proc/%d/net/unix" : "/proc/self/net/unix", (int)pid);
	if (!r)
		r = read_unix(path, &s);
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
 * ENOMEM; a process that is gone, or hidden from this user, adds nothing. */
static int holders_of(pid_t pid, struct array *h)
{
	int *fds;
	long n = proc_fds(pid, &fds);
	int r = 0;

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
			*holder = (struct proc_holder){ pid, fds[i], st.st_dev, st.st_ino };
		else
			r = -1;
	}
	free(fds);
	return r;
}

int proc_holders(struct proc_holder **list, size_t *n)
{
	DIR *proc = opendir("/proc");
	struct array h = { NULL, 0, sizeof(struct proc_holder) };
	pid_t pid;
	int r = 0;

	while (!r && (pid = next_pid(proc)))
		r = holders_of(pid, &h);
	if (proc)
		closedir(proc);
	r = array_end(&h, r);
	*list = h.items;
	*n = h.n;
	return r;
}
