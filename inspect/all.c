/* SPDX-License-Identifier: MIT */
/* all.c: noleak check --all, the host-wide scan an operator runs before
 * and after protecting the host: every listening socket and every locked
 * file held by a process that did not create it, grouped by the process
 * that leaked it, with parent chains.  It reads /proc and changes nothing.
 *
 * The resources are the listening sockets (TCP LISTEN, Unix sockets that
 * listen: the tables in /proc/PID/net of each network namespace, by socket
 * inode) and the files under a flock(2) or OFD lock.  Locks are read from
 * the fdinfo of each descriptor of a file or directory, which shows a
 * flock only on the descriptors that share it, with the pid that took it;
 * not from /proc/locks, which inside a pid namespace (a container) hides
 * a lock whose taker has exited: the very leak looked for.  POSIX locks
 * are left out: they belong to the process that took them and never pass
 * to a child.
 *
 * The heuristic, for a resource and the processes that hold it:
 *   - the creator is the process that took the lock (the pid fdinfo
 *     gives for a flock), alive or not (fdinfo says 0 for a taker that
 *     has exited outside this pid namespace's sight), or else the holder
 *     that started first (by start time; in a tie, the lower pid), unless
 *     that holder runs a program known never to listen (verdict.c): then
 *     the creator of the listener has exited;
 *   - a holder other than the creator leaked to it, unless
 *       - it runs the same program (exe) as the creator, or as the nearest
 *         ancestor that holds it: a master and its workers (prefork
 *         servers, nginx) share their listeners by design;
 *       - it was handed over on purpose: the creator is PID 1 (init,
 *         systemd), the holder has LISTEN_FDS in its environment (socket
 *         activation), it holds the resource on descriptor 0, 1 or 2
 *         (inetd-style dup2), or the lock was taken by flock(1) for the
 *         command it runs;
 *   - the process that leaked it is the nearest ancestor of the holder
 *     that holds it too (the one whose child got what it does not use),
 *     or, when none does, the creator, alive or exited.
 * Each holder of a listener is judged by verdict.c, in the words of check
 * :PORT; one that the evidence does not decide (a listener held alone,
 * not close-on-exec, by a program that may listen, whose session leader
 * or lock taker has exited) is listed apart as "cannot tell", and is not
 * counted as a leak.  The formats: text, --json, and Prometheus's text
 * format for node_exporter's textfile collector (--format=prometheus).
 * What it cannot see: a listening socket whose creator has exited and that
 * only one process holds, a program that may listen, with nothing else
 * amiss, looks like that process's own, and a daemon that
 * took a lock before its daemonizing fork shows as inheriting it from its
 * exited parent (its chain makes that plain).  Two programs that one
 * interpreter runs (python3 a.py, python3 b.py) count as one program.
 *
 * Exit status: 0 when nothing leaked, 1 when something did, 2 on trouble
 * (out of memory, /proc unreadable). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "inspect.h"
#include "proc.h"

static const char me[] = "noleak check";

/* One process holding a resource, on its first descriptor of it. */
struct hold {
	pid_t pid;
	int fd;
};

/* A listening socket or a locked file, and every process that holds it. */
struct res {
	dev_t dev;
	ino_t ino;
	char kind[16];		/* tcp, unix, lock */
	unsigned port;		/* tcp's local port, or 0 */
	char what[PATH_MAX + 128];
	pid_t lock_pid;		/* a flock's taker (0: gone), -1 an OFD lock */
	struct hold *holds;
	size_t nholds;
};

/* A holder that did not create the resource, and who leaked it to it; or
 * (undecided) one that cannot be told. */
struct finding {
	int undecided;		/* "cannot tell": listed apart, after the leaks */
	pid_t leaker;
	int exited;		/* the leaker has exited */
	size_t res;
	struct hold hold;
	struct origin o;	/* the evidence (verdict.c) */
};

/* The socket tables of one network namespace. */
struct netns {
	ino_t ns;
	struct proc_sock *socks;
	size_t n;
};

struct scan {
	enum check_format format;
	dev_t sockfs;
	struct proc_holder *all;	/* every descriptor of every process */
	size_t nall, hidden, processes;
	struct netns *nets;
	size_t nnets;
	struct res *res;
	size_t nres;
	struct finding *found;
	size_t nfound;
};

static _Noreturn void out_of_memory(void)
{
	inspect_fail(me, "out of memory");
	exit(2);
}

/* n more zeroed elements of size at the end of *items (of *count). */
static void *grow(void *items, size_t *count, size_t size)
{
	char *more = realloc(items, (*count + 1) * size);

	if (!more)
		out_of_memory();
	memset(more + *count * size, 0, size);
	++*count;
	return more;
}

/* ---- what there is ------------------------------------------------------ */

/* The socket tables of pid's network namespace, read once a namespace. */
static const struct netns *net_of(struct scan *sc, pid_t pid)
{
	char path[64];
	struct stat st;
	ino_t ns;
	struct netns *n;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	ns = stat(path, &st) == 0 ? st.st_ino : 0;
	for (size_t i = 0; i < sc->nnets; i++)
		if (sc->nets[i].ns == ns)
			return &sc->nets[i];
	sc->nets = grow(sc->nets, &sc->nnets, sizeof(*sc->nets));
	n = &sc->nets[sc->nnets - 1];
	n->ns = ns;
	if (proc_sockets(ns ? pid : 0, &n->socks, &n->n))
		out_of_memory();
	return n;
}

/* The resource dev:ino, added (described by kind and what) when new. */
static struct res *res_of(struct scan *sc, const struct proc_holder *h, const char *kind,
			  const char *what, pid_t lock_pid, unsigned port)
{
	struct res *r;

	for (size_t i = 0; i < sc->nres; i++)
		if (sc->res[i].dev == h->dev && sc->res[i].ino == h->ino)
			return &sc->res[i];
	sc->res = grow(sc->res, &sc->nres, sizeof(*sc->res));
	r = &sc->res[sc->nres - 1];
	r->dev = h->dev;
	r->ino = h->ino;
	r->lock_pid = lock_pid;
	r->port = port;
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	snprintf(r->what, sizeof(r->what), "%s", what);
	return r;
}

/* Record that h holds the resource (once a process). */
static void add_hold(struct scan *sc, const struct proc_holder *h, const char *kind,
		     const char *what, pid_t lock_pid, unsigned port)
{
	struct res *r = res_of(sc, h, kind, what, lock_pid, port);

	for (size_t i = 0; i < r->nholds; i++)
		if (r->holds[i].pid == h->pid)
			return;
	r->holds = grow(r->holds, &r->nholds, sizeof(*r->holds));
	r->holds[r->nholds - 1] = (struct hold){ h->pid, h->fd };
}

/* If descriptor h carries a flock or OFD lock, record it. */
static void consider_lock(struct scan *sc, const struct proc_holder *h)
{
	struct proc_fdinfo info;
	char path[64], link[PATH_MAX], what[PATH_MAX + 128];
	ssize_t len;

	if ((!S_ISREG(h->mode) && !S_ISDIR(h->mode)) || proc_fdinfo(h->pid, h->fd, &info) ||
	    (strncmp(info.lock, "FLOCK", 5) && strncmp(info.lock, "OFDLCK", 6)))
		return;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)h->pid, h->fd);
	len = readlink(path, link, sizeof(link) - 1);
	link[len < 0 ? 0 : len] = '\0';
	snprintf(what, sizeof(what), "%s (locked: %s)", link, info.lock);
	add_hold(sc, h, "lock", what, info.lock_pid, 0);
}

/* Read every process's descriptors, and keep the listening sockets and
 * locked files. */
static void collect(struct scan *sc)
{
	pid_t last = 0;

	sc->sockfs = proc_sockfs_dev();
	if (proc_holders(&sc->all, &sc->nall, &sc->hidden))
		out_of_memory();
	for (size_t i = 0; i < sc->nall; i++) {
		const struct proc_holder *h = &sc->all[i];

		if (h->pid != last)
			sc->processes++;
		last = h->pid;
		if (h->dev == sc->sockfs) {
			const struct netns *n = net_of(sc, h->pid);
			const struct proc_sock *s = proc_find_sock(n->socks, n->n, h->ino);

			if (s && s->listening)
				add_hold(sc, h, s->proto, s->what, 0,
					 strcmp(s->proto, "unix") ? s->port : 0);
		} else {
			consider_lock(sc, h);
		}
	}
}

/* ---- who leaked it ------------------------------------------------------- */

/* The holder of r that started first (in a tie, the lower pid). */
static pid_t oldest_holder(const struct res *r)
{
	unsigned long long best = 0;
	pid_t found = 0;

	for (size_t i = 0; i < r->nholds; i++) {
		unsigned long long t = proc_start(r->holds[i].pid);

		if (!found || t < best || (t == best && r->holds[i].pid < found)) {
			best = t;
			found = r->holds[i].pid;
		}
	}
	return found;
}

/* The creator of r into *creator (0: unknown); 1 when it has exited.  A
 * flock's taker counts while a process of that pid runs that started no
 * later than the first holder (not a later process given the same pid). */
static int creator_of(const struct res *r, pid_t *creator)
{
	pid_t oldest = oldest_holder(r);
	unsigned long long t;

	*creator = oldest;
	if (strcmp(r->kind, "lock") || r->lock_pid < 0 || r->lock_pid == oldest)
		return 0;
	*creator = r->lock_pid;
	if (!r->lock_pid)
		return 1;
	for (size_t i = 0; i < r->nholds; i++)
		if (r->holds[i].pid == r->lock_pid)
			return 0;
	t = proc_start(r->lock_pid);
	return !t || t > proc_start(oldest);
}

/* The nearest ancestor of pid that holds r, or 0. */
static pid_t holding_ancestor(const struct res *r, pid_t pid)
{
	pid_t p = proc_parent(pid);

	for (int depth = 0; p > 0 && depth < 64; depth++, p = proc_parent(p))
		for (size_t i = 0; i < r->nholds; i++)
			if (r->holds[i].pid == p)
				return p;
	return 0;
}

/* 1 when pid runs flock(1). */
static int is_flock(pid_t pid)
{
	char exe[PATH_MAX], *base;

	if (pid <= 0 || proc_exe(pid, exe, sizeof(exe)))
		return 0;
	base = strrchr(exe, '/');
	return !strcmp(base ? base + 1 : exe, "flock");
}

/* 1 when r reached h on purpose from creator (or from, its nearest holding
 * ancestor): see the heuristic at the top. */
static int handed_over(const struct res *r, const struct hold *h, pid_t creator,
		       int exited, pid_t from)
{
	if (h->fd <= 2 || (creator == 1 && !exited))
		return 1;
	if (strcmp(r->kind, "lock"))
		return proc_environ_has(h->pid, "LISTEN_FDS");
	return is_flock(from) || (!exited && is_flock(creator));
}

/* Add a finding for holder h of resource ri, judged in o. */
static void add_finding(struct scan *sc, size_t ri, const struct hold *h,
			const struct origin *o, pid_t leaker, int exited)
{
	struct finding *f;

	sc->found = grow(sc->found, &sc->nfound, sizeof(*sc->found));
	f = &sc->found[sc->nfound - 1];
	f->undecided = o->verdict == VERDICT_UNKNOWN;
	f->leaker = leaker;
	f->exited = exited;
	f->res = ri;
	f->hold = *h;
	f->o = *o;
}

/* 1 when every holder of r runs one program (and there are several). */
static int one_program(const struct res *r)
{
	for (size_t i = 1; i < r->nholds; i++)
		if (!proc_same_program(r->holds[0].pid, r->holds[i].pid))
			return 0;
	return r->nholds > 1;
}

/* Judge every holder of the listening socket ri (verdict.c): each one
 * leaked it, or the evidence does not decide, goes to sc->found. */
static void judge_socket(struct scan *sc, size_t ri)
{
	const struct res *r = &sc->res[ri];
	pid_t oldest = oldest_holder(r);
	int shared = one_program(r), gone;
	char exe[PATH_MAX];
	struct origin o;

	/* The first holder is its creator, unless it is a program that never
	 * listens (and was not handed it): then the creator has exited. */
	gone = !shared && !proc_exe(oldest, exe, sizeof(exe)) && verdict_never_listens(exe) &&
	       !proc_environ_has(oldest, "LISTEN_FDS");
	for (size_t i = 0; i < r->nholds; i++) {
		const struct hold *h = &r->holds[i];
		pid_t from = holding_ancestor(r, h->pid);
		pid_t leaker;

		origin_read(&o, h->pid, h->fd, r->what);
		o.source = from ? from : h->pid == oldest || gone ? 0 : oldest;
		o.ancestor = from != 0;
		o.shared = shared;
		o.first = h->pid == oldest && r->nholds > 1 && !gone;
		origin_judge(&o);
		if (o.source == 1 && !o.ancestor)
			continue;	/* PID 1's hand-overs */
		if (o.verdict != VERDICT_LEAKED && o.verdict != VERDICT_UNKNOWN)
			continue;
		leaker = o.source;
		if (!leaker && o.lock_taker > 0 && o.lock_exited)
			leaker = o.lock_taker;	/* the exited daemon, most likely */
		add_finding(sc, ri, h, &o, leaker, !o.source);
	}
}

/* Judge every holder of resource ri, adding what leaked to sc->found. */
static void judge(struct scan *sc, size_t ri)
{
	const struct res *r = &sc->res[ri];
	pid_t creator;
	int exited;

	if (strcmp(r->kind, "lock")) {
		judge_socket(sc, ri);
		return;
	}
	exited = creator_of(r, &creator);
	for (size_t i = 0; i < r->nholds; i++) {
		const struct hold *h = &r->holds[i];
		pid_t from = holding_ancestor(r, h->pid);
		struct origin o;

		if (h->pid == creator || handed_over(r, h, creator, exited, from))
			continue;
		if ((!exited && proc_same_program(h->pid, creator)) ||
		    (from && proc_same_program(h->pid, from)))
			continue;	/* a master and its workers */
		origin_read(&o, h->pid, h->fd, r->what);
		o.lock_kind = 1;
		o.source = from ? from : exited ? 0 : creator;
		o.ancestor = from != 0;
		o.verdict = VERDICT_LEAKED;
		add_finding(sc, ri, h, &o, from ? from : creator, !from && exited);
	}
}

/* By leaker (the exited last), then resource, then holder. */
static int by_leaker(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;

	if (x->undecided != y->undecided)
		return x->undecided - y->undecided;
	if (x->exited != y->exited)
		return x->exited - y->exited;
	if (x->leaker != y->leaker)
		return x->leaker < y->leaker ? -1 : 1;
	if (x->res != y->res)
		return x->res < y->res ? -1 : 1;
	return (x->hold.pid > y->hold.pid) - (x->hold.pid < y->hold.pid);
}

/* ---- output --------------------------------------------------------------- */

/* What the scan found, counted so that the parts add up. */
struct counts {
	size_t listening, locked;	/* scanned: listening sockets, locked files */
	size_t leaked_listening, leaked_locked;	/* leaked ones, each once */
	size_t holders;			/* processes holding what leaked */
	size_t leakers, leakers_exited;	/* who leaked it (of them, exited) */
	size_t undecided;		/* listening sockets that cannot be told */
	size_t decided;			/* findings that are leaks */
};

/* 1 when finding j of sc is the first of its kind among 0..j: the same
 * resource (same == 0), holder (1) or leaker (2), among leaks alone. */
static int first_of(const struct scan *sc, size_t j, int same)
{
	const struct finding *f = &sc->found[j];

	for (size_t i = 0; i < j; i++) {
		const struct finding *g = &sc->found[i];

		if (g->undecided != f->undecided)
			continue;
		if ((same == 0 && g->res == f->res) || (same == 1 && g->hold.pid == f->hold.pid) ||
		    (same == 2 && g->leaker == f->leaker && g->exited == f->exited))
			return 0;
	}
	return 1;
}

static void count(const struct scan *sc, struct counts *n)
{
	memset(n, 0, sizeof(*n));
	for (size_t i = 0; i < sc->nres; i++)
		++*(strcmp(sc->res[i].kind, "lock") ? &n->listening : &n->locked);
	for (size_t i = 0; i < sc->nfound; i++) {
		const struct finding *f = &sc->found[i];
		int lock = !strcmp(sc->res[f->res].kind, "lock");

		if (f->undecided) {
			n->undecided += first_of(sc, i, 0);
			continue;
		}
		n->decided++;
		if (first_of(sc, i, 0))
			++*(lock ? &n->leaked_locked : &n->leaked_listening);
		n->holders += first_of(sc, i, 1);
		if (first_of(sc, i, 2)) {
			n->leakers++;
			n->leakers_exited += f->exited;
		}
	}
}

/* The heading of the leaker of f: who it is, or that it has exited. */
static void text_leaker(const struct finding *f)
{
	char name[64], exe[PATH_MAX];

	if (f->undecided) {
		printf("cannot tell (no evidence decides whether the holder created it):\n");
		return;
	}
	if (f->exited && f->leaker > 0) {
		printf("leaked by process %d, which has exited (it took the lock these"
		       " processes hold):\n", (int)f->leaker);
		return;
	}
	if (f->exited) {
		printf("leaked by a process that has exited (the kernel keeps no record of"
		       " which):\n");
		return;
	}
	proc_comm(f->leaker, name, sizeof(name));
	if (proc_exe(f->leaker, exe, sizeof(exe)))
		snprintf(exe, sizeof(exe), "?");
	printf("leaked by %d %s (%s): ", (int)f->leaker, name, exe);
	inspect_chain(f->leaker, 0);
	putchar('\n');
}

/* One holder of a leaked resource, with its parent chain, and the
 * verdict on it in the words of noleak check :PORT. */
static void text_holder(const struct finding *f)
{
	char name[64], exe[PATH_MAX];
	const struct hold *h = &f->hold;

	proc_comm(h->pid, name, sizeof(name));
	if (proc_exe(h->pid, exe, sizeof(exe)))
		snprintf(exe, sizeof(exe), "?");
	printf("    held by %d %s (%s), fd %d: ", (int)h->pid, name, exe, h->fd);
	inspect_chain(h->pid, 0);
	putchar('\n');
	origin_print(&f->o, "      ");
}

/* The last line: what was found, among what; its counts add up. */
static void text_summary(const struct scan *sc)
{
	struct counts n;
	size_t leaked;

	count(sc, &n);
	leaked = n.leaked_listening + n.leaked_locked;
	if (leaked)
		printf("%zu %s held by %zu %s that did not create %s: %zu listening %s and"
		       " %zu locked %s, leaked by %zu %s (%zu running, %zu exited)",
		       leaked, inspect_plural(leaked, "resource", "resources"),
		       n.holders, inspect_plural(n.holders, "process", "processes"),
		       leaked == 1 ? "it" : "them",
		       n.leaked_listening, inspect_plural(n.leaked_listening, "socket", "sockets"),
		       n.leaked_locked, inspect_plural(n.leaked_locked, "file", "files"),
		       n.leakers, inspect_plural(n.leakers, "process", "processes"),
		       n.leakers - n.leakers_exited, n.leakers_exited);
	else
		printf("nothing leaked: each listening socket and locked file is held by its"
		       " creator, the same program's processes, or a process it was handed to");
	if (n.undecided)
		printf("; %zu listening %s whose holder cannot be told", n.undecided,
		       inspect_plural(n.undecided, "socket", "sockets"));
	printf("; scanned %zu listening %s and %zu locked %s in %zu %s\n",
	       n.listening, inspect_plural(n.listening, "socket", "sockets"),
	       n.locked, inspect_plural(n.locked, "file", "files"),
	       sc->processes, inspect_plural(sc->processes, "process", "processes"));
}

/* f and prev have one leaker (or both cannot be told). */
static int same_group(const struct finding *f, const struct finding *prev)
{
	return prev && prev->undecided == f->undecided &&
	       (f->undecided || (prev->leaker == f->leaker && prev->exited == f->exited));
}

static void print_text(const struct scan *sc)
{
	for (size_t i = 0; i < sc->nfound; i++) {
		const struct finding *f = &sc->found[i], *prev = i ? f - 1 : NULL;

		if (!same_group(f, prev))
			text_leaker(f);
		if (!same_group(f, prev) || prev->res != f->res)
			printf("  %s\n", sc->res[f->res].what);
		text_holder(f);
	}
	text_summary(sc);
}

/* {"pid", "name", "exe"} of pid, without the closing brace. */
static void json_process(pid_t pid)
{
	char name[64], exe[PATH_MAX];

	proc_comm(pid, name, sizeof(name));
	printf("{\"pid\":%d,\"name\":", (int)pid);
	inspect_json_str(name);
	printf(",\"exe\":");
	if (proc_exe(pid, exe, sizeof(exe)))
		printf("null");
	else
		inspect_json_str(exe);
}

/* The JSON of holder f: pid, name, exe, fd, cloexec, chain, verdict. */
static void json_holder(const struct finding *f)
{
	json_process(f->hold.pid);
	printf(",\"fd\":%d,\"cloexec\":%s,\"verdict\":", f->hold.fd,
	       f->o.cloexec ? "true" : "false");
	inspect_json_str(verdict_name(f->o.verdict));
	origin_json(&f->o);
	printf(",\"chain\":");
	inspect_chain(f->hold.pid, 1);
	putchar('}');
}

/* The JSON of finding i, opening and closing its leaker and resource as
 * the grouping goes. */
static void json_finding(const struct scan *sc, size_t i)
{
	const struct finding *f = &sc->found[i], *prev = i ? f - 1 : NULL;
	const struct finding *next = i + 1 < sc->nfound ? f + 1 : NULL;
	int new_leaker = !same_group(f, prev);
	int end_leaker = !next || !same_group(next, f);

	if (new_leaker && f->exited) {
		printf("%s{\"pid\":", prev ? "," : "");
		inspect_json_pid(f->leaker);
		printf(",\"name\":null,\"exe\":null");
	} else if (new_leaker) {
		printf("%s", prev ? "," : "");
		json_process(f->leaker);
	}
	if (new_leaker) {
		printf(",\"exited\":%s,\"chain\":", f->exited ? "true" : "false");
		inspect_chain(f->exited ? 0 : f->leaker, 1);
		printf(",\"resources\":[");
	}
	if (new_leaker || prev->res != f->res) {
		printf("%s{\"kind\":", new_leaker ? "" : ",");
		inspect_json_str(sc->res[f->res].kind);
		printf(",\"what\":");
		inspect_json_str(sc->res[f->res].what);
		printf(",\"holders\":[");
	} else {
		putchar(',');
	}
	json_holder(f);
	if (!next || end_leaker || next->res != f->res)
		printf("]}");
	if (end_leaker)
		printf("]}");
}

static void print_json(const struct scan *sc)
{
	struct counts n;
	size_t i, first = 1;

	count(sc, &n);
	printf("{\"leakers\":[");
	for (i = 0; i < sc->nfound && !sc->found[i].undecided; i++)
		json_finding(sc, i);
	printf("],\"undecided\":[");
	for (; i < sc->nfound; i++, first = 0) {
		printf("%s{\"kind\":", first ? "" : ",");
		inspect_json_str(sc->res[sc->found[i].res].kind);
		printf(",\"what\":");
		inspect_json_str(sc->res[sc->found[i].res].what);
		printf(",\"holder\":");
		json_holder(&sc->found[i]);
		putchar('}');
	}
	printf("],\"leaked\":{\"listening_sockets\":%zu,\"locked_files\":%zu,\"holders\":%zu,"
	       "\"leakers\":%zu,\"leakers_exited\":%zu,\"undecided\":%zu},", n.leaked_listening,
	       n.leaked_locked, n.holders, n.leakers, n.leakers_exited, n.undecided);
	printf("\"scanned\":{\"processes\":%zu,\"hidden\":%zu,\"listening_sockets\":%zu,"
	       "\"locked_files\":%zu},\"status\":%d}\n", sc->processes, sc->hidden,
	       n.listening, n.locked, n.decided ? 1 : 0);
}

/* ---- the Prometheus text format, for node_exporter's textfile collector */

/* s as the value of a Prometheus label: \\, \" and \n escaped. */
static void prom_label(const char *name, const char *s, int last)
{
	printf("%s=\"", name);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			printf("\\%c", *s);
		else if (*s == '\n')
			printf("\\n");
		else
			putchar(*s);
	}
	printf("\"%s", last ? "" : ",");
}

/* The labels of finding f: holder, program, leaker, and the resource's
 * proto, port and address, or path. */
struct prom_labels {
	char holder[64], program[PATH_MAX], leaker[64];
	char proto[16], port[12], address[PATH_MAX + 128];
};

static void prom_labels_of(const struct scan *sc, const struct finding *f,
			   struct prom_labels *l)
{
	const struct res *r = &sc->res[f->res];
	const char *sp;

	memset(l, 0, sizeof(*l));
	snprintf(l->holder, sizeof(l->holder), "%s", f->o.name);
	snprintf(l->program, sizeof(l->program), "%s", f->o.exe);
	if (f->undecided)
		snprintf(l->leaker, sizeof(l->leaker), "unknown");
	else if (f->exited)
		snprintf(l->leaker, sizeof(l->leaker), "exited");
	else
		proc_comm(f->leaker, l->leaker, sizeof(l->leaker));
	snprintf(l->proto, sizeof(l->proto), "%s", r->kind);
	if (r->port)
		snprintf(l->port, sizeof(l->port), "%u", r->port);
	/* "tcp 127.0.0.1:8080 LISTEN", "unix /run/x LISTEN", "/x.lock (locked: ...)" */
	if (!strcmp(r->kind, "lock")) {
		snprintf(l->address, sizeof(l->address), "%s", r->what);
		if ((sp = strstr(l->address, " (locked: ")))
			l->address[sp - l->address] = '\0';
	} else {
		sp = strchr(r->what, ' ');
		snprintf(l->address, sizeof(l->address), "%s", sp ? sp + 1 : r->what);
		if ((sp = strstr(l->address, " LISTEN")))
			l->address[sp - l->address] = '\0';
	}
}

static int prom_same(const struct prom_labels *a, const struct prom_labels *b)
{
	return !strcmp(a->holder, b->holder) && !strcmp(a->program, b->program) &&
	       !strcmp(a->leaker, b->leaker) && !strcmp(a->proto, b->proto) &&
	       !strcmp(a->address, b->address);
}

/* 1 when f belongs in the family of undecided (or leaked) sockets (or
 * locks). */
static int in_family(const struct scan *sc, const struct finding *f, int undecided, int lock)
{
	return f->undecided == undecided && (strcmp(sc->res[f->res].kind, "lock") == 0) == lock;
}

/* One metric family: a series for each distinct set of labels among the
 * findings that want says, its value the number of processes. */
static void prom_family(const struct scan *sc, const char *name, const char *help,
			int undecided, int lock)
{
	struct prom_labels l, m;

	printf("# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
	for (size_t i = 0; i < sc->nfound; i++) {
		const struct finding *f = &sc->found[i];
		size_t j, n = 0;

		if (!in_family(sc, f, undecided, lock))
			continue;
		prom_labels_of(sc, f, &l);
		for (j = 0; j < i; j++) {
			const struct finding *g = &sc->found[j];

			if (!in_family(sc, g, undecided, lock))
				continue;
			prom_labels_of(sc, g, &m);
			if (prom_same(&l, &m))
				break;
		}
		if (j < i)
			continue;	/* counted with the first of its labels */
		for (j = i; j < sc->nfound; j++) {
			const struct finding *g = &sc->found[j];

			if (!in_family(sc, g, undecided, lock))
				continue;
			prom_labels_of(sc, g, &m);
			n += prom_same(&l, &m);
		}
		printf("%s{", name);
		prom_label("holder", l.holder, 0);
		prom_label("program", l.program, 0);
		prom_label("leaker", l.leaker, 0);
		if (lock) {
			prom_label("path", l.address, 1);
		} else {
			prom_label("proto", l.proto, 0);
			prom_label("port", l.port, 0);
			prom_label("address", l.address, 1);
		}
		printf("} %zu\n", n);
	}
}

static void print_prometheus(const struct scan *sc)
{
	struct counts n;
	struct timespec now;

	count(sc, &n);
	clock_gettime(CLOCK_REALTIME, &now);
	prom_family(sc, "noleak_leaked_listener", "Processes holding a listening socket"
		    " they did not create (noleak check --all), by holder program and port.",
		    0, 0);
	prom_family(sc, "noleak_leaked_lock", "Processes holding a locked file they did"
		    " not create (noleak check --all), by holder program and file.", 0, 1);
	prom_family(sc, "noleak_undecided_listener", "Processes holding a listening socket"
		    " that noleak cannot tell whether they created.", 1, 0);
	printf("# HELP noleak_leaks Resources leaked to a process that did not create"
	       " them, by kind; undecided: listeners that cannot be told.\n"
	       "# TYPE noleak_leaks gauge\n"
	       "noleak_leaks{kind=\"listener\"} %zu\nnoleak_leaks{kind=\"lock\"} %zu\n"
	       "noleak_leaks{kind=\"undecided\"} %zu\n",
	       n.leaked_listening, n.leaked_locked, n.undecided);
	printf("# HELP noleak_scan_processes Processes scanned; hidden: those this user"
	       " may not read.\n# TYPE noleak_scan_processes gauge\n"
	       "noleak_scan_processes{state=\"read\"} %zu\n"
	       "noleak_scan_processes{state=\"hidden\"} %zu\n", sc->processes, sc->hidden);
	printf("# HELP noleak_scan_timestamp_seconds When noleak check --all ran, in"
	       " seconds since the epoch.\n# TYPE noleak_scan_timestamp_seconds gauge\n"
	       "noleak_scan_timestamp_seconds %lld.%03ld\n", (long long)now.tv_sec,
	       now.tv_nsec / 1000000);
}

static void scan_free(struct scan *sc)
{
	for (size_t i = 0; i < sc->nnets; i++)
		free(sc->nets[i].socks);
	for (size_t i = 0; i < sc->nres; i++)
		free(sc->res[i].holds);
	free(sc->nets);
	free(sc->res);
	free(sc->found);
	free(sc->all);
}

int all_main(enum check_format format)
{
	struct scan sc = { .format = format };
	int status;

	if (access("/proc/self/fd", R_OK)) {
		inspect_fail(me, "cannot read /proc: %s", strerror(errno));
		return 2;
	}
	collect(&sc);
	for (size_t i = 0; i < sc.nres; i++)
		judge(&sc, i);
	qsort(sc.found, sc.nfound, sizeof(*sc.found), by_leaker);
	if (format == FORMAT_JSON)
		print_json(&sc);
	else if (format == FORMAT_PROMETHEUS)
		print_prometheus(&sc);
	else
		print_text(&sc);
	if (sc.hidden)
		inspect_fail(me, "%zu %s this user may not read (run as root to see every"
			     " process)", sc.hidden,
			     inspect_plural(sc.hidden, "process", "processes"));
	status = 0;
	for (size_t i = 0; i < sc.nfound; i++)
		status |= !sc.found[i].undecided;
	scan_free(&sc);
	return status;
}
