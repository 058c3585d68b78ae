/* SPDX-License-Identifier: MIT */
/* verdict.c: did the process that holds a listening socket or a locked
 * file create it, and what should the operator do?  The one answer that
 * `noleak check :PORT` (noleak-inspect.c) and `noleak check --all`
 * (all.c) give, in the same words, from what the kernel shows.
 *
 * The kernel keeps no record of a socket's creator, and on current
 * kernels no time of its creation either (a socket inode's times read 0).
 * What it does show, each said as evidence when it is there:
 *   - another live process holds the same socket: the holder's ancestor,
 *     or one that started before it (it was passed on, then);
 *   - the holder's program is one known never to listen (sleep, cat, a
 *     shell...): it cannot have made a listening socket;
 *   - the descriptor is close-on-exec: no exec can have passed it to this
 *     program (only a fork of the same program, or a hand-over);
 *   - the holder's session or process group leader has exited (a helper
 *     started by a daemon that is gone; a daemon leads its own session);
 *   - the holder holds a lock that another process took (fdinfo names
 *     the taker), alive or exited.
 * Handed over on purpose, never a leak: the resource on descriptor 0, 1
 * or 2 (inetd's way), LISTEN_FDS in the holder's environment (socket
 * activation), every holder running one program (a prefork master and
 * its workers).  When the evidence does not decide, the verdict is
 * "cannot tell", with why: never an accusation without evidence. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect.h"
#include "proc.h"

/* Programs that never call listen(2): coreutils and shells, the commands
 * a daemon's system() or popen() runs.  A listening socket in one of
 * them was made by another process. */
static const char *const never_listen[] = {
	"sleep", "cat", "tail", "head", "tee", "true", "false", "yes", "env",
	"nohup", "timeout", "sort", "wc", "dd", "cp", "mv", "rm", "ls",
	"find", "xargs", "grep", "sed", "awk", "gawk", "mawk", "logger",
	"flock", "setsid", "stdbuf", "nice", "ionice", "sh", "dash", "bash",
	"gzip", "xz", "bzip2", "tar", "less", "more", "mail", "sendmail",
};

int verdict_never_listens(const char *exe)
{
	const char *base = strrchr(exe, '/');

	base = base ? base + 1 : exe;
	for (size_t i = 0; i < sizeof(never_listen) / sizeof(never_listen[0]); i++)
		if (!strcmp(base, never_listen[i]))
			return 1;
	return 0;
}

/* A lock among pid's descriptors that another process took: its taker
 * into o->lock_taker (and o->lock_exited), what it is into o->lock. */
static void find_lock(struct origin *o, unsigned long long start)
{
	int *fds;
	long n = proc_fds(o->pid, &fds);

	for (long i = 0; i < n; i++) {
		struct proc_fdinfo info;
		char path[64], link[PATH_MAX];
		ssize_t len;

		if (proc_fdinfo(o->pid, fds[i], &info) || !info.lock[0] ||
		    (strncmp(info.lock, "FLOCK", 5) && strncmp(info.lock, "OFDLCK", 6)) ||
		    info.lock_pid == o->pid || info.lock_pid < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)o->pid, fds[i]);
		len = readlink(path, link, sizeof(link) - 1);
		link[len < 0 ? 0 : len] = '\0';
		snprintf(o->lock, sizeof(o->lock), "%s (locked: %s)", link, info.lock);
		/* 0: a taker that has exited, or is outside this pid namespace. */
		o->lock_taker = info.lock_pid;
		o->lock_exited = !info.lock_pid || !proc_alive_since(info.lock_pid, start);
		break;
	}
	if (n > 0)
		free(fds);
}

void origin_read(struct origin *o, pid_t pid, int fd, const char *what)
{
	unsigned long long start = proc_start(pid);
	struct proc_fdinfo info;
	pid_t pgrp, sid;

	memset(o, 0, sizeof(*o));
	o->pid = pid;
	o->fd = fd;
	snprintf(o->what, sizeof(o->what), "%s", what);
	proc_comm(pid, o->name, sizeof(o->name));
	if (proc_exe(pid, o->exe, sizeof(o->exe)))
		snprintf(o->exe, sizeof(o->exe), "?");
	if (proc_fdinfo(pid, fd, &info) == 0)
		o->cloexec = info.cloexec;
	o->stdio = fd <= 2;
	o->listen_fds = proc_environ_has(pid, "LISTEN_FDS");
	o->never_listens = verdict_never_listens(o->exe);
	o->parent = proc_parent(pid);
	if (proc_group(pid, &pgrp, &sid) == 0) {
		if (sid > 0 && sid != pid && !proc_alive_since(sid, start))
			o->leader_gone = sid, o->leader_of = "session";
		else if (pgrp > 0 && pgrp != pid && !proc_alive_since(pgrp, start))
			o->leader_gone = pgrp, o->leader_of = "process group";
	}
	find_lock(o, start);
}

void origin_judge(struct origin *o)
{
	if (o->stdio || o->listen_fds)
		o->verdict = VERDICT_HANDED;
	else if (o->shared || (o->source && proc_same_program(o->pid, o->source)))
		o->verdict = VERDICT_SHARED;
	else if (o->source || o->never_listens)
		o->verdict = VERDICT_LEAKED;
	else if (o->cloexec || o->first)
		o->verdict = VERDICT_OWN;
	else if (o->leader_gone || (o->lock[0] && o->lock_exited))
		o->verdict = VERDICT_UNKNOWN;
	else
		o->verdict = VERDICT_OWN;
}

/* "4120 legacyd" for pid, into buf. */
static const char *who(pid_t pid, char *buf, size_t len)
{
	char name[64];

	proc_comm(pid, name, sizeof(name));
	snprintf(buf, len, "%d %s", (int)pid, name);
	return buf;
}

/* One piece of evidence: "      - ..." */
static void __attribute__((format(printf, 2, 3)))
evidence(const char *indent, const char *fmt, ...)
{
	va_list ap;

	printf("%s  - ", indent);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Every piece of evidence there is for o. */
static void print_evidence(const struct origin *o, const char *indent)
{
	char a[96], exe[PATH_MAX];

	if (o->stdio)
		evidence(indent, "it holds it on descriptor %d, where inetd and its kind hand"
			 " a socket over on purpose", o->fd);
	if (o->listen_fds)
		evidence(indent, "LISTEN_FDS is in its environment: socket activation"
			 " handed it over on purpose");
	if (o->source && o->ancestor)
		evidence(indent, "its ancestor %s holds the same %s, and passed it on",
			 who(o->source, a, sizeof(a)), o->lock_kind ? "lock" : "socket");
	else if (o->source)
		evidence(indent, "%s started before it and holds the same %s",
			 who(o->source, a, sizeof(a)), o->lock_kind ? "lock" : "socket");
	if (o->source && (o->shared || proc_same_program(o->pid, o->source))) {
		if (proc_exe(o->source, exe, sizeof(exe)))
			snprintf(exe, sizeof(exe), "?");
		evidence(indent, "both run %s: one program's processes", exe);
	} else if (o->shared) {
		evidence(indent, "every process that holds it runs %s", o->exe);
	}
	if (o->never_listens && !o->lock_kind)
		evidence(indent, "%s (%s) is a program that never listens: it cannot have"
			 " made a listening socket", o->name, o->exe);
	evidence(indent, o->cloexec ? "it holds it close-on-exec: no exec passed it to %s" :
		 "it holds it without close-on-exec: %s passes it to every program it starts",
		 o->name);
	if (o->leader_gone)
		evidence(indent, "the leader of its %s, process %d, has exited (a daemon leads"
			 " a session of its own; a helper a daemon started stays in the daemon's)",
			 o->leader_of, (int)o->leader_gone);
	if (o->lock_taker && o->lock_exited)
		evidence(indent, "it holds %s, which process %d took and has exited", o->lock,
			 (int)o->lock_taker);
	else if (o->lock[0] && o->lock_exited)
		evidence(indent, "it holds %s, which a process that has exited (or is outside"
			 " this pid namespace) took", o->lock);
	else if (o->lock_taker)
		evidence(indent, "it holds %s, which %s took", o->lock,
			 who(o->lock_taker, a, sizeof(a)));
	if (o->parent == 1)
		evidence(indent, "its parent is PID 1: it was started by init, or adopted when"
			 " its own parent exited");
	else if (!o->parent)
		evidence(indent, "its parent is outside this pid namespace, or gone");
}

/* How to restart the daemon that created a resource, which has exited. */
static void print_gone_creator(const struct origin *o)
{
	printf("restart the daemon that created it under noleak (noleak -- DAEMON, or"
	       " noleak enable-unit UNIT): it has exited");
	if (o->lock_taker > 0 && o->lock_exited)
		printf("; process %d, which took the lock %s holds, has exited too:"
		       " likely that daemon", (int)o->lock_taker, o->name);
	else if (o->lock[0] && o->lock_exited)
		printf("; so has the process that took the lock %s holds: likely that"
		       " daemon", o->name);
}

/* The next step for o. */
static void print_next(const struct origin *o, const char *indent)
{
	char a[96], exe[PATH_MAX];

	printf("%snext step: ", indent);
	switch (o->verdict) {
	case VERDICT_LEAKED:
		if (o->source) {
			if (proc_exe(o->source, exe, sizeof(exe)))
				snprintf(exe, sizeof(exe), "?");
			printf("restart %s under noleak (noleak -- %s), and kill %d %s or"
			       " restart it under noleak\n", who(o->source, a, sizeof(a)), exe,
			       (int)o->pid, o->name);
		} else {
			printf("kill %d %s or restart it under noleak, to free it; then ",
			       (int)o->pid, o->name);
			print_gone_creator(o);
			putchar('\n');
		}
		break;
	case VERDICT_UNKNOWN:
		printf("if %s is the daemon that serves it, nothing; if not, kill %d %s or"
		       " restart it under noleak, then restart under noleak the daemon that"
		       " should serve it\n", o->name, (int)o->pid, o->name);
		break;
	case VERDICT_OWN:
		if (!o->cloexec && (!o->first || o->passes_on)) {
			printf("restart %d %s under noleak (noleak -- %s): it passes it to the"
			       " programs it starts\n", (int)o->pid, o->name, o->exe);
			break;
		}
		/* fall through */
	default:
		printf("none\n");
	}
}

void origin_print(const struct origin *o, const char *indent)
{
	const char *it = o->lock_kind ? "lock" : "socket";

	printf("%sverdict: ", indent);
	switch (o->verdict) {
	case VERDICT_HANDED:
		printf("not a leak: handed to %d %s on purpose\n", (int)o->pid, o->name);
		break;
	case VERDICT_SHARED:
		printf("not a leak: shared on purpose by the processes of one program"
		       " (a master and its workers)\n");
		break;
	case VERDICT_LEAKED:
		printf("a leak: %d %s did not %s this %s\n", (int)o->pid, o->name,
		       o->lock_kind ? "take" : "create", it);
		break;
	case VERDICT_UNKNOWN:
		printf("cannot tell whether %d %s created this socket: no other process"
		       " holds it, the kernel keeps no record of a socket's creator, and %s"
		       " is not a program known never to listen\n", (int)o->pid, o->name,
		       o->exe);
		break;
	case VERDICT_OWN:
		if (o->first)
			printf("%d %s created it, most likely: it started first of the"
			       " processes that hold it\n", (int)o->pid, o->name);
		else if (o->cloexec)
			printf("its own: no other process holds it, and no exec passed it to"
			       " %d %s\n", (int)o->pid, o->name);
		else
			printf("its own, as far as the kernel shows: no other process holds it"
			       " and nothing says %d %s inherited it\n", (int)o->pid, o->name);
		break;
	}
	print_evidence(o, indent);
	print_next(o, indent);
}

void origin_json(const struct origin *o)
{
	printf(",\"never_listens\":%s,\"listen_fds\":%s,\"leader_gone\":",
	       o->never_listens ? "true" : "false", o->listen_fds ? "true" : "false");
	inspect_json_pid(o->leader_gone);
	printf(",\"lock_taker\":");
	inspect_json_pid(o->lock_taker);
	printf(",\"lock_taker_exited\":%s", o->lock_taker && o->lock_exited ? "true" : "false");
}

const char *verdict_name(enum verdict v)
{
	static const char *const names[] = {
		[VERDICT_OWN] = "own", [VERDICT_SHARED] = "shared", [VERDICT_HANDED] = "handed",
		[VERDICT_LEAKED] = "leaked", [VERDICT_UNKNOWN] = "cannot tell",
	};

	return names[v];
}
