/* SPDX-License-Identifier: MIT */
/* noleak-inspect.c: main, which runs the commands of noleak-inspect, and
 * the first of them, `noleak check`: what running processes would pass to
 * the programs they start, from /proc, for the person still looking for
 * the leak.  It changes nothing anywhere.
 *
 *   noleak-inspect check [--json] TARGET...
 *   noleak-inspect check [--json|--format=FORMAT] --all   (all.c)
 *   noleak-inspect watch [OPTION]... PID        (watch.c)
 *   noleak-inspect loadable LIBRARY PROGRAM     (loadable.c, for the wrapper)
 *   noleak-inspect keep-check SPEC              (keep-check.c, for the wrapper)
 *
 * TARGET is a PID (what would that process pass to any child it starts?)
 * or a port, :PORT, tcp:PORT or udp:PORT (who holds it, and did each
 * holder create it?  The verdict, its evidence and the next step are
 * verdict.c's, in the words check --all uses too).  A listener that
 * processes of one program share (a prefork master and its workers), or
 * that was handed over (LISTEN_FDS, descriptor 0-2), is not a leak.  Exit
 * status: 0 when nothing would leak, 1 when something would (or does), 2
 * on error.  The other commands depend on
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
	int everything;		/* --all */
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
	if (proc_holders(&c->all, &c->nall, NULL))
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
	int listening;		/* a listening socket */
	dev_t dev;
	ino_t ino;
};

/* Fill d for a socket that no table of pid's network namespace lists:
 * its protocol, as the kernel names it, and why it may be missing. */
static void describe_lost_socket(pid_t pid, int fd, unsigned long ino, struct desc *d)
{
	char proto[16];

	if (proc_sock_proto(pid, fd, proto, sizeof(proto)))
		snprintf(proto, sizeof(proto), "socket");
	snprintf(d->kind, sizeof(d->kind), "%s", proto);
	snprintf(d->what, sizeof(d->what), "%s%s (inode %lu, not in any /proc/net table:"
		 " not bound yet, closed, or in another network namespace)", proto,
		 strcmp(proto, "socket") ? " socket" : "", ino);
}

/* Fill d's kind and what from link, the target of /proc/PID/fd/FD. */
static void describe_link(pid_t pid, int fd, const char *link,
			  const struct proc_sock *socks, size_t nsocks, struct desc *d)
{
	unsigned long ino;

	if (sscanf(link, "socket:[%lu]", &ino) == 1) {
		const struct proc_sock *s = proc_find_sock(socks, nsocks, ino);

		if (s) {
			snprintf(d->kind, sizeof(d->kind), "%s", s->proto);
			snprintf(d->what, sizeof(d->what), "%s", s->what);
			d->listening = s->listening;
		} else {
			describe_lost_socket(pid, fd, ino, d);
		}
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
	describe_link(pid, fd, link, socks, nsocks, d);
	if (info->lock[0]) {
		size_t used = strlen(d->what);

		snprintf(d->what + used, sizeof(d->what) - used, " (locked: %s)", info->lock);
		d->shared = 1;
	}
}

/* ---- who else holds it ---------------------------------------------------- */

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
			inspect_chain(h->pid, c->json);
			putchar('}');
		} else {
			printf("          also held by ");
			inspect_chain(h->pid, c->json);
			printf(" (fd %d)\n", h->fd);
		}
		others++;
	}
}

/* How many other processes hold dev:ino, when every one of them runs the
 * same program as pid: a prefork server's master and workers sharing its
 * listeners, by design.  0 when none does, or one runs another program. */
static size_t same_program_holders(struct check *c, pid_t pid, dev_t dev, ino_t ino)
{
	size_t n = 0;
	pid_t last = 0;

	scan_all(c);
	for (size_t i = 0; i < c->nall; i++) {
		const struct proc_holder *h = &c->all[i];

		if (h->pid == pid || h->pid == last || h->dev != dev || h->ino != ino)
			continue;
		last = h->pid;
		if (!proc_same_program(pid, h->pid))
			return 0;
		n++;
	}
	return n;
}

/* What check_pid counts: descriptors from 3 up, those that would leak,
 * and listeners shared on purpose with the same program's processes. */
struct tally {
	size_t total, found, by_design;
};

/* Print descriptor fd of pid (named name), described in d, as one that
 * would reach a child; by_design, the number of processes of the same
 * program it shares a listener with, or 0. */
static void print_fd(const struct check *c, const struct tally *t, pid_t pid,
		     const char *name, int fd, const struct desc *d, int locked,
		     size_t by_design)
{
	if (c->json) {
		printf("%s{\"fd\":%d,\"kind\":", t->found + t->by_design ? "," : "", fd);
		inspect_json_str(d->kind);
		printf(",\"what\":");
		inspect_json_str(d->what);
		printf(",\"locked\":%s,\"by_design\":%s,\"holders\":[", locked ? "true" : "false",
		       by_design ? "true" : "false");
		return;
	}
	if (!t->found && !t->by_design)
		printf("%d %s: descriptors that would reach any program it starts:\n",
		       (int)pid, name);
	printf("  fd %-4d %s", fd, d->what);
	if (by_design)
		printf(": shared on purpose with %zu %s of the same program (a master and"
		       " its workers), not a leak", by_design,
		       inspect_plural(by_design, "process", "processes"));
	putchar('\n');
}

/* Report descriptor fd of pid (named name) if it would reach a child,
 * counting it in *t. */
static void report_fd(struct check *c, pid_t pid, const char *name, int fd,
		      const struct proc_sock *socks, size_t nsocks, struct tally *t)
{
	struct proc_fdinfo info;
	struct desc d;
	size_t by_design = 0;

	if (fd < 3 || proc_fdinfo(pid, fd, &info) != 0)
		return;
	++t->total;
	if (info.cloexec)
		return;
	describe(pid, fd, socks, nsocks, &info, &d);
	if (d.listening && d.ino)
		by_design = same_program_holders(c, pid, d.dev, d.ino);
	print_fd(c, t, pid, name, fd, &d, info.lock[0] != 0, by_design);
	if (by_design)
		++t->by_design;
	else
		++t->found;
	if (d.shared && d.ino)
		print_others(c, pid, &d);
	if (c->json)
		printf("]}");
}

/* The line for a process from which nothing would leak. */
static void print_clean(pid_t pid, const char *name, const struct tally *t)
{
	printf("%d %s: nothing would leak (%zu %s from 3 up", (int)pid, name, t->total,
	       inspect_plural(t->total, "descriptor", "descriptors"));
	if (t->by_design)
		printf(": %zu %s shared on purpose with the same program's processes,"
		       " the others close-on-exec)\n", t->by_design,
		       inspect_plural(t->by_design, "listener", "listeners"));
	else
		printf(t->total == 1 ? ", close-on-exec)\n" : ", all close-on-exec)\n");
}

/* No such process: say so, and when pid could be a port, how to ask
 * about the port instead. */
static void no_process(pid_t pid, int err)
{
	inspect_no_descriptors(me, pid, err);
	if (err == ENOENT && pid <= 65535)
		fprintf(stderr, "%s: for the port %d, write ':%d' (or tcp:%d, udp:%d)\n", me,
			(int)pid, (int)pid, (int)pid, (int)pid);
}

/* Report what pid would pass to any child; 0 nothing, 1 something, 2 error. */
static int check_pid(struct check *c, pid_t pid)
{
	char name[64];
	size_t nsocks;
	struct tally t = { 0, 0, 0 };
	struct proc_sock *socks;
	int *fds;
	long nfds = proc_fds(pid, &fds);

	if (nfds < 0) {
		no_process(pid, errno);
		return 2;
	}
	proc_comm(pid, name, sizeof(name));
	socks = sockets_of(pid, &nsocks);
	if (c->json) {
		printf("%s{\"pid\":%d,\"name\":", c->first ? "" : ",", (int)pid);
		inspect_json_str(name);
		printf(",\"leaks\":[");
	}
	c->first = 0;
	for (long i = 0; i < nfds; i++)
		report_fd(c, pid, name, fds[i], socks, nsocks, &t);
	if (c->json)
		printf("],\"descriptors\":%zu}", t.total);
	else if (!t.found)
		print_clean(pid, name, &t);
	free(fds);
	free(socks);
	return t.found ? 1 : 0;
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
	struct origin o;	/* did it create it?  (verdict.c) */
};

/* What check_port carries from socket to socket of the port. */
struct port_scan {
	const char *proto;	/* tcp, udp, or NULL for either */
	unsigned port;
	dev_t sockfs;
	pid_t program;		/* a holder: all run its program (by design), or 0 */
	size_t shown;		/* processes listed */
	size_t leaking;		/* of them, those that pass it on or were passed it */
};

static void port_holder_json(const struct check *c, const struct port_holder *p,
			     const struct port_scan *ps)
{
	printf("%s{\"pid\":%d,\"name\":", ps->shown ? "," : "", (int)p->h->pid);
	inspect_json_str(p->name);
	printf(",\"fd\":%d,\"what\":", p->h->fd);
	inspect_json_str(p->sock->what);
	printf(",\"cloexec\":%s,\"inherited_from\":", p->info.cloexec ? "true" : "false");
	inspect_json_pid(p->from);
	printf(",\"probably_from\":");
	inspect_json_pid(p->earlier);
	printf(",\"same_program\":%s,\"verdict\":", ps->program ? "true" : "false");
	inspect_json_str(verdict_name(p->o.verdict));
	origin_json(&p->o);
	printf(",\"chain\":");
	inspect_chain(p->h->pid, c->json);
	putchar('}');
}

static void port_holder_text(const struct port_holder *p, const struct port_scan *ps)
{
	char name[64];
	const char *why = ps->program ? " (the same program: shared on purpose)" : "";

	if (!ps->shown)
		printf("%s port %u:\n", ps->proto ? ps->proto : "tcp/udp", ps->port);
	printf("  %d %s fd %d: %s, %s", (int)p->h->pid, p->name, p->h->fd, p->sock->what,
	       p->info.cloexec ? "close-on-exec" : "reaches its children");
	if (p->from) {
		proc_comm(p->from, name, sizeof(name));
		printf(", inherited from %d %s%s\n", (int)p->from, name, why);
	} else if (p->earlier) {
		proc_comm(p->earlier, name, sizeof(name));
		printf(", probably inherited: %d %s started before it and"
		       " holds the same socket%s\n", (int)p->earlier, name, why);
	} else {
		printf(", no ancestor holds it\n");
	}
	origin_print(&p->o, "    ");
}

/* Does sock of the port concern ps? */
static int port_wants(const struct port_scan *ps, const struct proc_sock *sock)
{
	return sock->port == ps->port && (!strcmp(sock->proto, "tcp") || !strcmp(sock->proto, "udp")) &&
	       (!ps->proto || !strcmp(sock->proto, ps->proto));
}

/* A holder of the port's sockets when two or more processes hold them and
 * all run the same program (a master and its workers), else 0. */
static pid_t port_one_program(const struct check *c, const struct proc_sock *socks,
			      size_t nsocks, const struct port_scan *ps)
{
	pid_t first = 0;
	int others = 0;

	for (size_t s = 0; s < nsocks; s++) {
		if (!port_wants(ps, &socks[s]))
			continue;
		for (size_t i = 0; i < c->nall; i++) {
			const struct proc_holder *h = &c->all[i];

			if (h->dev != ps->sockfs || h->ino != socks[s].ino || h->pid == first)
				continue;
			if (!first)
				first = h->pid;
			else if (!proc_same_program(first, h->pid))
				return 0;
			else
				others = 1;
		}
	}
	return others ? first : 0;
}

/* Report every process that holds sock, once each, with the verdict on
 * how it came by it (verdict.c), counting them in ps->shown and in
 * ps->leaking those that were leaked it, or pass it on. */
static void port_holders(const struct check *c, const struct proc_sock *sock,
			 struct port_scan *ps)
{
	struct port_holder *list = NULL;
	size_t n = 0;
	pid_t last = 0;
	int leaked = 0;

	for (size_t i = 0; i < c->nall; i++) {
		const struct proc_holder *h = &c->all[i];
		struct port_holder *p;

		if (h->dev != ps->sockfs || h->ino != sock->ino || h->pid == last)
			continue;	/* one line per process and socket */
		last = h->pid;
		if (!(p = realloc(list, (n + 1) * sizeof(*list))))
			out_of_memory();
		list = p;
		p = &list[n++];
		memset(p, 0, sizeof(*p));
		p->h = h;
		p->sock = sock;
		proc_fdinfo(h->pid, h->fd, &p->info);
		proc_comm(h->pid, p->name, sizeof(p->name));
		p->from = ancestor_holding(c, h->pid, h->dev, h->ino);
		p->earlier = p->from ? 0 : earlier_holder(c, h->pid, h->dev, h->ino);
		origin_read(&p->o, h->pid, h->fd, sock->what);
		p->o.source = p->from ? p->from : p->earlier;
		p->o.ancestor = p->from != 0;
		p->o.shared = ps->program != 0;
		origin_judge(&p->o);
		leaked |= p->o.verdict == VERDICT_LEAKED;
	}
	for (size_t i = 0; i < n; i++) {
		struct port_holder *p = &list[i];

		/* The first of several holders: its creator, most likely. */
		if (n > 1 && !p->o.source) {
			p->o.first = 1;
			p->o.passes_on = leaked;
			origin_judge(&p->o);
		}
		if (p->o.verdict == VERDICT_LEAKED || p->o.verdict == VERDICT_UNKNOWN ||
		    (p->o.verdict == VERDICT_OWN && !p->info.cloexec && (n == 1 || leaked)))
			ps->leaking++;
		if (c->json)
			port_holder_json(c, p, ps);
		else
			port_holder_text(p, ps);
		ps->shown++;
	}
	free(list);
}

/* Report who holds port (of proto, or either when NULL); 1 when a holder
 * was leaked it, or passes it on (not close-on-exec), or cannot be told;
 * 0 when none holds it, or each came by it on purpose (one program's
 * processes, a hand-over) and keeps it close-on-exec or hands it on. */
static int check_port(struct check *c, const char *proto, unsigned port)
{
	size_t nsocks;
	struct proc_sock *socks = sockets_of(0, &nsocks);
	struct port_scan ps = { .proto = proto, .port = port, .sockfs = proc_sockfs_dev() };

	scan_all(c);
	ps.program = port_one_program(c, socks, nsocks, &ps);
	if (c->json) {
		printf("%s{\"port\":%u,\"proto\":", c->first ? "" : ",", port);
		inspect_json_str(proto ? proto : "any");
		printf(",\"holders\":[");
	}
	c->first = 0;
	for (size_t s = 0; s < nsocks; s++)
		if (port_wants(&ps, &socks[s]))
			port_holders(c, &socks[s], &ps);
	if (c->json)
		printf("]}");
	else if (!ps.shown)
		printf("%s port %u: no process holds it (or none this user may see)\n",
		       proto ? proto : "tcp/udp", port);
	else if (ps.program)
		printf("  every holder runs the program of %d: a master and its workers"
		       " sharing the port by design, not a leak\n", (int)ps.program);
	free(socks);
	return ps.leaking ? 1 : 0;
}

/* ---- the command line ------------------------------------------------------ */

static void usage(FILE *to)
{
	fprintf(to,
		"Usage: noleak check [--json] PID|:PORT|tcp:PORT|udp:PORT...\n"
		"  or:  noleak check [--json|--format=prometheus] --all\n"
		"Show what running processes would pass to the programs they start.\n"
		"\n"
		"  PID        every descriptor from 3 up that lacks close-on-exec, what\n"
		"             it is, and, for sockets and locked files, every other\n"
		"             process that holds the same one, with its parent chain\n"
		"  :PORT      every process that holds a TCP or UDP socket on PORT, and\n"
		"             whether it inherited it (tcp:PORT, udp:PORT: one only)\n"
		"  --all      every listening socket and locked file, across the host,\n"
		"             held by a process that did not create it (inherited\n"
		"             from another program, or from a creator that has\n"
		"             exited), grouped by the process that leaked it\n"
		"  --json     one JSON document on standard output\n"
		"  --format=text|json|prometheus\n"
		"             prometheus, with --all: node_exporter's textfile format,\n"
		"             the leaked listeners and locks by holder program and port\n"
		"  -h, --help display this help and exit\n"
		"\n"
		"Each holder of a listener gets a verdict, with the evidence the kernel\n"
		"gives (a program that never listens, the first holder still running,\n"
		"close-on-exec, an exited session leader or lock taker), and the next\n"
		"step; \"cannot tell\" when that evidence does not decide.  A listener\n"
		"shared by processes of one program (a master and its workers), passed\n"
		"by socket activation (LISTEN_FDS) or on descriptor 0-2 (inetd) is no leak.\n"
		"\n"
		"Exit status: 0 when nothing would leak, 1 when something would (for a\n"
		"port: a holder was leaked it, cannot be told, or passes it on; with\n"
		"--all, when anything leaked), 2 on error.  See noleak(1).\n");
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
		{ "all", no_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt, prometheus = 0;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		if (opt == 'j') {
			c->json = 1;
		} else if (opt == 'a') {
			c->everything = 1;
		} else if (opt == 'f') {
			if (!strcmp(optarg, "json")) {
				c->json = 1;
			} else if (!strcmp(optarg, "prometheus")) {
				prometheus = 1;
			} else if (strcmp(optarg, "text")) {
				inspect_usage_error(me, "invalid --format '%s': expected text, json"
						    " or prometheus", optarg);
				return 2;
			}
		} else if (opt == 'h') {
			usage(stdout);
			return 0;
		} else if (optopt == 'f') {
			inspect_usage_error(me, "--format needs a value: text, json or prometheus");
			return 2;
		} else {
			inspect_usage_error(me, "unrecognized option '%s'", argv[optind - 1]);
			return 2;
		}
	}
	if (prometheus && !c->everything) {
		inspect_usage_error(me, "--format=prometheus goes with --all: the metrics are"
				    " of the whole host");
		return 2;
	}
	if (c->everything && optind < argc) {
		inspect_usage_error(me, "--all looks at every process: it takes no target,"
				    " but '%s' was given", argv[optind]);
		return 2;
	}
	if (c->everything)
		return all_main(prometheus ? FORMAT_PROMETHEUS : c->json ? FORMAT_JSON : FORMAT_TEXT);
	if (optind == argc) {
		inspect_usage_error(me, "no process or port given (or --all for every process)");
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
