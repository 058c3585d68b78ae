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
 *     that started first (by start time; in a tie, the lower pid);
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
 * What it cannot see: a listening socket whose creator has exited and that
 * only one process holds looks like that process's own, and a daemon that
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
	char what[PATH_MAX + 128];
	pid_t lock_pid;		/* a flock's taker (0: gone), -1 an OFD lock */
	struct hold *holds;
	size_t nholds;
};

/* A holder that did not create the resource, and who leaked it to it. */
struct finding {
	pid_t leaker;
	int exited;		/* the leaker has exited */
	size_t res;
	struct hold hold;
};

/* The socket tables of one network namespace. */
struct netns {
	ino_t ns;
	struct proc_sock *socks;
	size_t n;
};

struct scan {
	int json;
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
			  const char *what, pid_t lock_pid)
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
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	snprintf(r->what, sizeof(r->what), "%s", what);
	return r;
}

/* Record that h holds the resource (once a process). */
static void add_hold(struct scan *sc, const struct proc_holder *h, const char *kind,
		     const char *what, pid_t lock_pid)
{
	struct res *r = res_of(sc, h, kind, what, lock_pid);

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
	add_hold(sc, h, "lock", what, info.lock_pid);
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
				add_hold(sc, h, s->proto, s->what, 0);
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

/* Judge every holder of resource ri, adding what leaked to sc->found. */
static void judge(struct scan *sc, size_t ri)
{
	const struct res *r = &sc->res[ri];
	pid_t creator;
	int exited = creator_of(r, &creator);

	for (size_t i = 0; i < r->nholds; i++) {
		const struct hold *h = &r->holds[i];
		pid_t from = holding_ancestor(r, h->pid);
		struct finding *f;

		if (h->pid == creator || handed_over(r, h, creator, exited, from))
			continue;
		if ((!exited && proc_same_program(h->pid, creator)) ||
		    (from && proc_same_program(h->pid, from)))
			continue;	/* a master and its workers */
		sc->found = grow(sc->found, &sc->nfound, sizeof(*sc->found));
		f = &sc->found[sc->nfound - 1];
		*f = (struct finding){ from ? from : creator, !from && exited, ri, *h };
	}
}

/* By leaker (the exited last), then resource, then holder. */
static int by_leaker(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;

	if (x->exited != y->exited)
		return x->exited - y->exited;
	if (x->leaker != y->leaker)
		return x->leaker < y->leaker ? -1 : 1;
	if (x->res != y->res)
		return x->res < y->res ? -1 : 1;
	return (x->hold.pid > y->hold.pid) - (x->hold.pid < y->hold.pid);
}

/* ---- output --------------------------------------------------------------- */

/* How many resources of each kind were found: listening sockets, locked
 * files. */
static void count_kinds(const struct scan *sc, size_t *listening, size_t *locked)
{
	*listening = *locked = 0;
	for (size_t i = 0; i < sc->nres; i++)
		++*(strcmp(sc->res[i].kind, "lock") ? listening : locked);
}

/* Distinct resources and holders among the findings. */
static void count_found(const struct scan *sc, size_t *resources, size_t *holders)
{
	*resources = *holders = 0;
	for (size_t i = 0; i < sc->nfound; i++) {
		size_t j;

		for (j = 0; j < i && sc->found[j].res != sc->found[i].res; j++)
			;
		*resources += j == i;
		for (j = 0; j < i && sc->found[j].hold.pid != sc->found[i].hold.pid; j++)
			;
		*holders += j == i;
	}
}

/* The heading of the leaker of f: who it is, or that it has exited. */
static void text_leaker(const struct finding *f)
{
	char name[64], exe[PATH_MAX];

	if (f->exited && f->leaker > 0) {
		printf("leaked by process %d, which has exited (it took the lock):\n",
		       (int)f->leaker);
		return;
	}
	if (f->exited) {
		printf("leaked by a process that has exited (it took the lock):\n");
		return;
	}
	proc_comm(f->leaker, name, sizeof(name));
	if (proc_exe(f->leaker, exe, sizeof(exe)))
		snprintf(exe, sizeof(exe), "?");
	printf("leaked by %d %s (%s): ", (int)f->leaker, name, exe);
	inspect_chain(f->leaker, 0);
	putchar('\n');
}

/* One holder of a leaked resource, with its parent chain. */
static void text_holder(const struct hold *h)
{
	char name[64], exe[PATH_MAX];

	proc_comm(h->pid, name, sizeof(name));
	if (proc_exe(h->pid, exe, sizeof(exe)))
		snprintf(exe, sizeof(exe), "?");
	printf("    held by %d %s (%s), fd %d: ", (int)h->pid, name, exe, h->fd);
	inspect_chain(h->pid, 0);
	putchar('\n');
}

/* The last line: what was found, among what. */
static void text_summary(const struct scan *sc)
{
	size_t listening, locked, resources, holders;

	count_kinds(sc, &listening, &locked);
	count_found(sc, &resources, &holders);
	if (sc->nfound)
		printf("%zu %s held by %zu %s that did not create %s",
		       resources, inspect_plural(resources, "resource", "resources"),
		       holders, inspect_plural(holders, "process", "processes"),
		       resources == 1 ? "it" : "them");
	else
		printf("nothing leaked: each listening socket and locked file is held by its"
		       " creator, the same program's processes, or a process it was handed to");
	printf(" (%zu listening %s and %zu locked %s in %zu %s)\n",
	       listening, inspect_plural(listening, "socket", "sockets"),
	       locked, inspect_plural(locked, "file", "files"),
	       sc->processes, inspect_plural(sc->processes, "process", "processes"));
}

static void print_text(const struct scan *sc)
{
	for (size_t i = 0; i < sc->nfound; i++) {
		const struct finding *f = &sc->found[i], *prev = i ? f - 1 : NULL;

		if (!prev || prev->leaker != f->leaker || prev->exited != f->exited)
			text_leaker(f);
		if (!prev || prev->leaker != f->leaker || prev->res != f->res)
			printf("  %s\n", sc->res[f->res].what);
		text_holder(&f->hold);
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

/* The JSON of finding i, opening and closing its leaker and resource as
 * the grouping goes. */
static void json_finding(const struct scan *sc, size_t i)
{
	const struct finding *f = &sc->found[i], *prev = i ? f - 1 : NULL;
	const struct finding *next = i + 1 < sc->nfound ? f + 1 : NULL;
	int new_leaker = !prev || prev->leaker != f->leaker || prev->exited != f->exited;
	int end_leaker = !next || next->leaker != f->leaker || next->exited != f->exited;
	struct proc_fdinfo info;

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
	json_process(f->hold.pid);
	proc_fdinfo(f->hold.pid, f->hold.fd, &info);
	printf(",\"fd\":%d,\"cloexec\":%s,\"chain\":", f->hold.fd, info.cloexec ? "true" : "false");
	inspect_chain(f->hold.pid, 1);
	putchar('}');
	if (!next || end_leaker || next->res != f->res)
		printf("]}");
	if (end_leaker)
		printf("]}");
}

static void print_json(const struct scan *sc)
{
	size_t listening, locked;

	count_kinds(sc, &listening, &locked);
	printf("{\"leakers\":[");
	for (size_t i = 0; i < sc->nfound; i++)
		json_finding(sc, i);
	printf("],\"scanned\":{\"processes\":%zu,\"hidden\":%zu,\"listening_sockets\":%zu,"
	       "\"locked_files\":%zu},\"status\":%d}\n", sc->processes, sc->hidden,
	       listening, locked, sc->nfound ? 1 : 0);
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

int all_main(int json)
{
	struct scan sc = { .json = json };
	int status;

	if (access("/proc/self/fd", R_OK)) {
		inspect_fail(me, "cannot read /proc: %s", strerror(errno));
		return 2;
	}
	collect(&sc);
	for (size_t i = 0; i < sc.nres; i++)
		judge(&sc, i);
	qsort(sc.found, sc.nfound, sizeof(*sc.found), by_leaker);
	if (json)
		print_json(&sc);
	else
		print_text(&sc);
	if (sc.hidden)
		inspect_fail(me, "%zu %s this user may not read (run as root to see every"
			     " process)", sc.hidden,
			     inspect_plural(sc.hidden, "process", "processes"));
	status = sc.nfound ? 1 : 0;
	scan_free(&sc);
	return status;
}
