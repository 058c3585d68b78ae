/* SPDX-License-Identifier: MIT */
/* noleak-inspect.c: main, which runs the commands of noleak-inspect, and
 * the first of them, `noleak check`: what running processes would pass to
 * the programs they start, from /proc, for the person still looking for
 * the leak.  It changes nothing anywhere.
 *
 *   noleak-inspect check [--json] TARGET...
 *   noleak-inspect watch [OPTION]... PID        (watch.c)
 *   noleak-inspect loadable LIBRARY PROGRAM     (loadable.c, for the wrapper)
 *   noleak-inspect keep-check SPEC              (keep-check.c, for the wrapper)
 *
 * TARGET is a PID (what would that process pass to any child it starts?)
 * or a port, :PORT, tcp:PORT or udp:PORT (who holds it, and did each
 * holder inherit it?).  Exit status: 0 when nothing would leak, 1 when
 * something would (or does), 2 on error.  The other commands depend on
 * nothing here; what they share with check is in proc.c and message.c. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "inspect.h"
#include "proc.h"

static const char me[] = "noleak check";

/* What one run of check carries from target to target. */
struct check {
	int json;			/* --json */
	int first;			/* no result printed yet */
	int scanned;			/* all and nall are read */
	struct proc_holder *all;	/* every descriptor of every process */
	size_t nall;
};

/* Out of memory: nothing sensible can follow. */
static _Noreturn void out_of_memory(void)
{
	inspect_fail(me, "out of memory");
	exit(2);
}

/* Read, once, the identity of every descriptor this user may see. */
static void scan_all(struct check *c)
{
	if (c->scanned++)
		return;
	if (proc_holders(&c->all, &c->nall))
		out_of_memory();
}

/* Every socket in the network namespace of pid (0: this process). */
static struct proc_sock *sockets_of(pid_t pid, size_t *n)
{
	struct proc_sock *list;

	if (proc_sockets(pid, &list, n))
		out_of_memory();
	return list;
}

/* ---- what a descriptor is ---------------------------------------------- */

struct desc {
	char what[PATH_MAX + 128];	/* for people */
	char kind[16];		/* file, tcp, udp, unix, socket, pipe, ... */
	int shared;		/* worth looking for other holders */
	dev_t dev;
	ino_t ino;
};

/* Fill d's kind and what from link, the target of /proc/PID/fd/FD. */
static void describe_link(const char *link, const struct proc_sock *socks, size_t nsocks,
			  struct desc *d)
{
	unsigned long ino;

	if (sscanf(link, "socket:[%lu]", &ino) == 1) {
		const struct proc_sock *s = proc_find_sock(socks, nsocks, ino);

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
}

/* What descriptor fd of pid is, for people and for finding its holders. */
static void describe(pid_t pid, int fd, const struct proc_sock *socks, size_t nsocks,
		     const struct proc_fdinfo *info, struct desc *d)
{
	char path[64], link[PATH_MAX];
	ssize_t len;
	struct stat st;

	memset(d, 0, sizeof(*d));
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	len = readlink(path, link, sizeof(link) - 1);
	link[len < 0 ? 0 : len] = '\0';
	if (stat(path, &st) == 0) {
		d->dev = st.st_dev;
		d->ino = st.st_ino;
	}
	describe_link(link, socks, nsocks, d);
	if (info->lock[0]) {
		size_t used = strlen(d->what);

		snprintf(d->what + used, sizeof(d->what) - used, " (locked: %s)", info->lock);
		d->shared = 1;
	}
}

/* ---- who else holds it ---------------------------------------------------- */

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
static pid_t earlier_holder(const struct check *c, pid_t pid, dev_t dev, ino_t ino)
{
	unsigned long long mine = proc_start(pid), best = 0;
	pid_t found = 0;

	for (size_t i = 0; i < c->nall; i++) {
		const struct proc_holder *h = &c->all[i];
		unsigned long long t;

		if (h->pid == pid || h->dev != dev || h->ino != ino)
			continue;
		t = proc_start(h->pid);
		/* Ticks are coarse: in a tie, the lower pid came first. */
		if (t && (t < mine || (t == mine && h->pid < pid)) &&
		    (!found || t < best)) {
			best = t;
			found = h->pid;
		}
	}
	return found;
}

/* The nearest ancestor of pid that holds dev:ino, or 0. */
static pid_t ancestor_holding(const struct check *c, pid_t pid, dev_t dev, ino_t ino)
{
	pid_t p = proc_parent(pid);

	for (int depth = 0; p > 0 && depth < 64; depth++, p = proc_parent(p))
		for (size_t i = 0; i < c->nall; i++)
			if (c->all[i].pid == p && c->all[i].dev == dev && c->all[i].ino == ino)
				return p;
	return 0;
}

/* ---- output ------------------------------------------------------------ */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* A pid, or null when there is none. */
static void json_pid(pid_t pid)
{
	if (pid)
		printf("%d", (int)pid);
	else
		printf("null");
}

/* "1250 sleep <- 1 init", or a JSON array of {pid, name}. */
static void print_chain(const struct check *c, pid_t pid)
{
	char name[64];
	int first = 1;

	if (c->json)
		putchar('[');
	for (int depth = 0; pid > 0 && depth < 64; depth++, pid = proc_parent(pid)) {
		proc_comm(pid, name, sizeof(name));
		if (c->json) {
			printf("%s{\"pid\":%d,\"name\":", first ? "" : ",", (int)pid);
			json_str(name);
			putchar('}');
		} else {
			printf("%s%d %s", first ? "" : " <- ", (int)pid, name);
		}
		first = 0;
	}
	if (c->json)
		putchar(']');
}

/* ---- check PID ------------------------------------------------------------ */

/* Every other process that holds d, one line (or object) each, with its
 * parent chain. */
static void print_others(struct check *c, pid_t pid, const struct desc *d)
{
	int others = 0;

	scan_all(c);
	for (size_t i = 0; i < c->nall; i++) {
		const struct proc_holder *h = &c->all[i];

		if (h->pid == pid || h->dev != d->dev || h->ino != d->ino)
			continue;
		if (i > 0 && h[-1].pid == h->pid && h[-1].dev == d->dev && h[-1].ino == d->ino)
			continue;	/* one line per process */
		if (c->json) {
			printf("%s{\"pid\":%d,\"fd\":%d,\"chain\":", others ? "," : "",
			       (int)h->pid, h->fd);
			print_chain(c, h->pid);
			putchar('}');
		} else {
			printf("          also held by ");
			print_chain(c, h->pid);
			printf(" (fd %d)\n", h->fd);
		}
		others++;
	}
}

/* Report descriptor fd of pid (named name) if it would reach a child.
 * Counts it in *total when it is 3 or more, and in *found when it would
 * leak. */
static void report_fd(struct check *c, pid_t pid, const char *name, int fd,
		      const struct proc_sock *socks, size_t nsocks,
		      size_t *found, size_t *total)
{
	struct proc_fdinfo info;
	struct desc d;

	if (fd < 3 || proc_fdinfo(pid, fd, &info) != 0)
		return;
	++*total;
	if (info.cloexec)
		return;
	describe(pid, fd, socks, nsocks, &info, &d);
	if (c->json) {
		printf("%s{\"fd\":%d,\"kind\":", *found ? "," : "", fd);
		json_str(d.kind);
		printf(",\"what\":");
		json_str(d.what);
		printf(",\"locked\":%s,\"holders\":[", info.lock[0] ? "true" : "false");
	} else {
		if (!*found)
			printf("%d %s: descriptors that would reach any program it starts:\n",
			       (int)pid, name);
		printf("  fd %-4d %s\n", fd, d.what);
	}
	++*found;
	if (d.shared && d.ino)
		print_others(c, pid, &d);
	if (c->json)
		printf("]}");
}

/* Report what pid would pass to any child; 0 nothing, 1 something, 2 error. */
static int check_pid(struct check *c, pid_t pid)
{
	char name[64];
	size_t nsocks, found = 0, total = 0;
	struct proc_sock *socks;
	int *fds;
	long nfds = proc_fds(pid, &fds);

	if (nfds < 0) {
		inspect_no_descriptors(me, pid, errno);
		return 2;
	}
	proc_comm(pid, name, sizeof(name));
	socks = sockets_of(pid, &nsocks);
	if (c->json) {
		printf("%s{\"pid\":%d,\"name\":", c->first ? "" : ",", (int)pid);
		json_str(name);
		printf(",\"leaks\":[");
	}
	c->first = 0;
	for (long i = 0; i < nfds; i++)
		report_fd(c, pid, name, fds[i], socks, nsocks, &found, &total);
	if (c->json)
		printf("],\"descriptors\":%zu}", total);
	else if (!found)
		printf("%d %s: nothing would leak (%zu descriptors from 3 up, all close-on-exec)\n",
		       (int)pid, name, total);
	free(fds);
	free(socks);
	return found ? 1 : 0;
}

/* ---- check :PORT ---------------------------------------------------------- */

/* One process holding a socket on the port, and what is known of it. */
struct port_holder {
	const struct proc_holder *h;
	const struct proc_sock *sock;
	char name[64];
	struct proc_fdinfo info;
	pid_t from;		/* the nearest ancestor holding it, or 0 */
	pid_t earlier;		/* without one, the likely creator, or 0 */
};

static void port_holder_json(const struct check *c, const struct port_holder *p, size_t shown)
{
	printf("%s{\"pid\":%d,\"name\":", shown ? "," : "", (int)p->h->pid);
	json_str(p->name);
	printf(",\"fd\":%d,\"what\":", p->h->fd);
	json_str(p->sock->what);
	printf(",\"cloexec\":%s,\"inherited_from\":", p->info.cloexec ? "true" : "false");
	json_pid(p->from);
	printf(",\"probably_from\":");
	json_pid(p->earlier);
	printf(",\"chain\":");
	print_chain(c, p->h->pid);
	putchar('}');
}

static void port_holder_text(const struct port_holder *p, const char *proto,
			     unsigned port, size_t shown)
{
	char name[64];

	if (!shown)
		printf("%s port %u:\n", proto ? proto : "tcp/udp", port);
	printf("  %d %s fd %d: %s, %s", (int)p->h->pid, p->name, p->h->fd, p->sock->what,
	       p->info.cloexec ? "close-on-exec" : "reaches its children");
	if (p->from) {
		proc_comm(p->from, name, sizeof(name));
		printf(", inherited from %d %s\n", (int)p->from, name);
	} else if (p->earlier) {
		proc_comm(p->earlier, name, sizeof(name));
		printf(", probably inherited: %d %s started before it and"
		       " holds the same socket\n", (int)p->earlier, name);
	} else {
		printf(", no ancestor holds it\n");
	}
}

/* Report every process that holds sock, once each, counting them in
 * *shown and those that would pass it on, or were passed it, in *leaking. */
static void port_holders(const struct check *c, const struct proc_sock *sock, dev_t sockfs,
			 const char *proto, unsigned port, size_t *shown, size_t *leaking)
{
	pid_t last = 0;

	for (size_t i = 0; i < c->nall; i++) {
		struct port_holder p = { &c->all[i], sock, "", { 0, "" }, 0, 0 };

		if (p.h->dev != sockfs || p.h->ino != sock->ino)
			continue;
		if (p.h->pid == last)
			continue;	/* one line per process and socket */
		last = p.h->pid;
		proc_fdinfo(p.h->pid, p.h->fd, &p.info);
		proc_comm(p.h->pid, p.name, sizeof(p.name));
		p.from = ancestor_holding(c, p.h->pid, p.h->dev, p.h->ino);
		p.earlier = p.from ? 0 : earlier_holder(c, p.h->pid, p.h->dev, p.h->ino);
		if (!p.info.cloexec || p.from || p.earlier)
			++*leaking;
		if (c->json)
			port_holder_json(c, &p, *shown);
		else
			port_holder_text(&p, proto, port, *shown);
		++*shown;
	}
}

/* Report who holds port (of proto, or either when NULL); 0 one holder
 * that keeps it to itself or none, 1 otherwise. */
static int check_port(struct check *c, const char *proto, unsigned port)
{
	size_t nsocks, shown = 0, leaking = 0;
	struct proc_sock *socks = sockets_of(0, &nsocks);
	dev_t sockfs = sockfs_dev();

	scan_all(c);
	if (c->json) {
		printf("%s{\"port\":%u,\"proto\":", c->first ? "" : ",", port);
		json_str(proto ? proto : "any");
		printf(",\"holders\":[");
	}
	c->first = 0;
	for (size_t s = 0; s < nsocks; s++) {
		if (socks[s].port != port || !strcmp(socks[s].proto, "unix") ||
		    (proto && strcmp(socks[s].proto, proto)))
			continue;
		port_holders(c, &socks[s], sockfs, proto, port, &shown, &leaking);
	}
	if (c->json)
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

/* Parse check's options into c; -1 to go on, or the exit status. */
static int check_options(struct check *c, int argc, char **argv)
{
	static const struct option longs[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		if (opt == 'j') {
			c->json = 1;
		} else if (opt == 'h') {
			usage(stdout);
			return 0;
		} else {
			inspect_usage_error(me, "unrecognized option '%s'", argv[optind - 1]);
			return 2;
		}
	}
	if (optind == argc) {
		inspect_usage_error(me, "no process or port given");
		return 2;
	}
	return -1;
}

static int check_main(int argc, char **argv)
{
	struct check c = { .first = 1 };
	int status = check_options(&c, argc, argv);

	if (status >= 0)
		return status;
	status = 0;
	/* Every target is checked before anything is printed. */
	for (int j = optind; j < argc; j++) {
		pid_t pid;
		const char *proto;
		unsigned port;

		if (parse_target(argv[j], &pid, &proto, &port)) {
			inspect_fail(me, "invalid target '%s': expected a PID, :PORT, tcp:PORT"
				     " or udp:PORT", argv[j]);
			return 2;
		}
	}
	if (c.json)
		printf("{\"results\":[");
	for (int j = optind; j < argc; j++) {
		pid_t pid;
		const char *proto;
		unsigned port;
		int r;

		parse_target(argv[j], &pid, &proto, &port);
		r = pid ? check_pid(&c, pid) : check_port(&c, proto, port);
		if (r > status)
			status = r;
	}
	if (c.json)
		printf("],\"status\":%d}\n", status);
	free(c.all);
	return status;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "check"))
		return check_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "watch"))
		return watch_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "loadable"))
		return loadable_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "keep-check"))
		return keep_check_main(argc - 1, argv + 1);
	fprintf(stderr, "usage: noleak-inspect check|watch ...\n"
		"(run through noleak: 'noleak check --help', 'noleak watch --help')\n");
	return 2;
}
