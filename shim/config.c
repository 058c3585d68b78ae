/* SPDX-License-Identifier: MIT */
/* config.c: the process's configuration, read once, and the constructor.
 *
 * The environment is read here and nowhere else: exec wrappers may run in a
 * vfork child, where parsing is out of the question, so everything they
 * need is prepared before (in the constructor, or at the first wrapper that
 * needs it, since other libraries' constructors can run first). */
#include "noleak.h"

#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <sched.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/* How far start-up looks for inherited descriptors when /proc is missing. */
enum { STARTUP_SCAN_CAP = 65536 };

/* Written by the constructor in every process. */
struct noleak_config noleak_config NOLEAK_LOAD_DATA;
int noleak_dormant;
int noleak_audit;
int noleak_log_set;

/* Report one unusable entry of an environment variable, quoting it with
 * anything unprintable escaped, and cut short if it is long. */
static void complain(void *ctx, const char *entry, size_t len, const char *why)
{
	static const char hex[] = "0123456789abcdef";
	struct noleak_line l;
	size_t shown = len > 64 ? 64 : len;

	noleak_line_begin(&l);
	noleak_line_str(&l, (const char *)ctx);
	noleak_line_str(&l, ": ignoring '");
	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)entry[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			noleak_line_mem(&l, entry + i, 1);
		} else {
			char esc[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

			noleak_line_mem(&l, esc, sizeof(esc));
		}
	}
	if (shown < len)
		noleak_line_str(&l, "...");
	noleak_line_str(&l, "': ");
	noleak_line_str(&l, why);
	noleak_line_emit(&l);
}

/* A keep-list full of garbage gets a few messages, then a count. */
enum { KEEP_COMPLAINTS_SHOWN = 3 };

struct keep_complaints {
	size_t n;
};

static void complain_keep(void *ctx, const char *entry, size_t len, const char *why)
{
	struct keep_complaints *kc = ctx;

	if (kc->n++ < KEEP_COMPLAINTS_SHOWN)
		complain((void *)"NOLEAK_KEEP", entry, len, why);
}

/* A word-valued variable: the index of its value in names, or fallback
 * (with a message) when it is set to anything else. */
static int choice(const char *var, const char *const *names, int fallback)
{
	const char *v = getenv(var);
	int found = noleak_choose(v, names);
	char why[160];
	size_t used;

	if (!v)
		return fallback;
	if (found >= 0)
		return found;
	used = (size_t)snprintf(why, sizeof(why), "expected");
	for (int i = 0; names[i] && used < sizeof(why); i++)
		used += (size_t)snprintf(why + used, sizeof(why) - used, "%s%s",
					 i == 0 ? " " : names[i + 1] ? ", " : " or ",
					 names[i]);
	if (used < sizeof(why))
		snprintf(why + used, sizeof(why) - used, "; using %s", names[fallback]);
	complain((void *)var, v, strlen(v), why);
	return fallback;
}

/* The applet busybox runs: its first argument when called by its own name
 * ("busybox sh"), read from /proc/self/cmdline into buf.  NULL when there
 * is none. */
static const char *busybox_applet(char *buf, size_t len)
{
	char cmdline[256];
	long fd = noleak_raw(SYS_open, (long)"/proc/self/cmdline",
			     O_RDONLY | O_CLOEXEC, 0, 0, 0);
	long n;
	const char *arg, *slash;

	if (fd < 0)
		return NULL;
	n = noleak_raw(SYS_read, fd, (long)cmdline, sizeof(cmdline) - 1, 0, 0);
	noleak_raw(SYS_close, fd, 0, 0, 0, 0);
	if (n <= 0)
		return NULL;
	cmdline[n] = '\0';
	arg = cmdline + strlen(cmdline) + 1;
	if (arg >= cmdline + n)
		return NULL;
	slash = strrchr(arg, '/');
	snprintf(buf, len, "%s", slash ? slash + 1 : arg);
	return buf;
}

/* The rules of the conventions table for this program (policy.c), by its
 * file name: a shell, which opens redirections straight onto their number
 * ("cmd 3<file" opens file as 3 and expects the child to find it there);
 * a launcher; flock(1).  busybox is what its applet is.  None under
 * secure execution, where argv[0] is whoever started the program's to
 * choose. */
static unsigned program_rules(void)
{
	const char *name = program_invocation_short_name;
	char applet[32];

	if (getauxval(AT_SECURE))
		return 0;
	if (*name == '-')	/* a login shell */
		name++;
	if (!strcmp(name, "busybox")) {
		name = busybox_applet(applet, sizeof(applet));
		if (name && !strcmp(name, "busybox"))
			return 0;
	}
	return noleak_program_rules(name);
}

/* ---- where lines go --------------------------------------------------- */

/* A log target, from NOLEAK_LOG (var) or the configuration file's "log"
 * (var names the file and line): "stderr", "syslog", or an absolute path
 * to append to.  A path is opened now, before the program can drop
 * privileges, and kept (noleak_log_hold): a bad one is reported at start
 * rather than lost later; under secure execution (setuid, file
 * capabilities) no path from the environment is opened at all.  Returns
 * whether v was usable. */
static int use_log(const char *var, const char *v, int from_env)
{
	const char *bad;
	int to = noleak_log_parse(v, sizeof(noleak_log_path), &bad);
	char why[160];
	int fd;

	if (to == NOLEAK_LOG_STDERR || to == NOLEAK_LOG_SYSLOG) {
		noleak_log_to = (enum noleak_log_to)to;
		noleak_log_no_stderr = 0;
		return 1;
	}
	if (from_env && getauxval(AT_SECURE)) {
		complain((void *)var, v, strlen(v),
			 "a setuid or setcap program opens no file named by its "
			 "environment; using stderr");
		return 0;
	}
	if (to < 0) {
		complain((void *)var, v, strlen(v), bad);
		return 0;
	}
	fd = noleak_log_open(v);
	if (fd < 0) {
		if (fd == NOLEAK_LOG_NOT_REGULAR)
			snprintf(why, sizeof(why), "it is not a regular file; using stderr");
		else
			snprintf(why, sizeof(why), "cannot open it (%s); using stderr",
				 fd == -ELOOP ? "it is a symbolic link" : strerror(-fd));
		complain((void *)var, v, strlen(v), why);
		return 0;
	}
	/* Kept open from here on: a worker that forks from this process
	 * and changes user can no longer open it (a 0600 file of root's). */
	noleak_log_hold(fd);
	pthread_atfork(NULL, NULL, noleak_log_forked);
	snprintf(noleak_log_path, sizeof(noleak_log_path), "%s", v);
	noleak_log_to = NOLEAK_LOG_FILE;
	noleak_log_no_stderr = 0;
	return 1;
}

/* NOLEAK_LOG, first: what the configuration file says may need saying.
 * Loaded host-wide, a process's standard error is its own business: lines
 * go to syslog unless something says otherwise. */
static void read_log(void)
{
	const char *v = getenv("NOLEAK_LOG");

	/* Whoever set NOLEAK_LOG asked for lines, on stderr if not where it
	 * says (the message says so). */
	noleak_log_no_stderr = noleak_config.hostwide && !(v && *v);
	noleak_log_to = noleak_log_no_stderr ? NOLEAK_LOG_SYSLOG : NOLEAK_LOG_STDERR;
	if (v && *v && use_log("NOLEAK_LOG", v, 1))
		noleak_log_set = 1;
}

/* ---- the configuration file ------------------------------------------- */

/* The most of the file that is read, and of one value. */
enum { CONF_MAX = 16384, CONF_VALUE_MAX = 1024 };

/* What the configuration file says, before the environment has its say:
 * -1 where it says nothing. */
struct file_settings {
	const char *path;
	int mode, signals;
	int role_said;		/* a "role" line spoke: rules replaces the names' */
	unsigned rules;
	char log[NOLEAK_LOG_PATH_MAX];
	size_t bad;
	char where[NOLEAK_LOG_PATH_MAX + 16];	/* "path:line", for messages */
	char log_where[NOLEAK_LOG_PATH_MAX + 16];	/* where "log" was */
	/* The bad lines (complain_file): bad counts them; the line being
	 * read, the last bad one, and the first one's complaint, for the one
	 * message at the end. */
	int line, bad_line;
	size_t first_len;
	char first_entry[64], first_why[160];
	char first_where[NOLEAK_LOG_PATH_MAX + 16];
};

/* A bad line of the file, or a bad entry on a line: counted once a line,
 * and the first one kept for file_complaints, so that a file full of
 * mistakes costs every process that reads it one message, not one a line
 * (complain quotes at most 64 bytes of the entry: the copy holds them). */
static void complain_file(struct file_settings *fs, const char *entry, size_t len,
			  const char *why)
{
	if (fs->bad && fs->bad_line == fs->line)
		return;
	fs->bad_line = fs->line;
	if (fs->bad++)
		return;
	memcpy(fs->first_where, fs->where, sizeof(fs->first_where));
	memcpy(fs->first_entry, entry,
	       len < sizeof(fs->first_entry) ? len : sizeof(fs->first_entry));
	fs->first_len = len;
	snprintf(fs->first_why, sizeof(fs->first_why), "%s", why);
}

/* The one message for the file's bad lines, if it had any: the first, by
 * file and line, and how many there were. */
static void file_complaints(struct file_settings *fs)
{
	char why[sizeof(fs->first_why) + 80];

	if (!fs->bad)
		return;
	if (fs->bad == 1)
		snprintf(why, sizeof(why), "%s", fs->first_why);
	else
		snprintf(why, sizeof(why), "%s (the first of %zu bad lines in this file,"
			 " all ignored)", fs->first_why, fs->bad);
	complain(fs->first_where, fs->first_entry, fs->first_len, why);
}

static const char *const scopes[] = { "process", "tree", NULL };
static const char *const signal_choices[] = { "restore", "keep", NULL };
/* NOLEAK_SECCOMP: what a filter the process came with allows (IN A
 * SANDBOX in libnoleak(7)); read at load (noleak_constructor), named here
 * when it is none of these. */
static const char *const seccomp_choices[] = { "careful", "trust", NULL };
static const char *const modes[] = { "enforce", "audit", "off", NULL };

/* A bad entry of a "keep" line: a bad line (complain_file). */
static void complain_file_keep(void *ctx, const char *entry, size_t len, const char *why)
{
	complain_file(ctx, entry, len, why);
}

/* The roles a "role" line may give a program, and the conventions
 * table's rules each stands for; "none" takes every role off. */
static const char *const roles[] = { "shell", "launcher", "locks", "helper", "none", NULL };
static const unsigned role_rules[] = {
	NOLEAK_RULE(PROGRAM_SHELL), NOLEAK_RULE(PROGRAM_LAUNCHER),
	NOLEAK_RULE(PROGRAM_LOCKS), NOLEAK_RULE(PROGRAM_HELPER), 0
};

/* The next word of a list value ("launcher, locks"): moves *p past the
 * commas and blanks before it; returns its length, 0 at the end. */
static size_t next_word(const char **p)
{
	*p += strspn(*p, ", \t");
	return strcspn(*p, ", \t");
}

/* "role = launcher" or "role = launcher, locks" in the program's section:
 * its roles, in place of what its name would give it.  A bad word makes
 * the whole line bad: nothing of it applies. */
static void file_role(struct file_settings *fs, const char *value)
{
	unsigned rules = 0;
	int none = 0, words = 0;
	const char *p = value;

	for (size_t n; (n = next_word(&p)) != 0; p += n) {
		char word[16];
		int r;

		snprintf(word, sizeof(word), "%.*s", (int)(n < 15 ? n : 15), p);
		r = n < 15 ? noleak_choose(word, roles) : -1;
		if (r < 0) {
			complain_file(fs, p, n, "unknown role; expected shell, "
				      "launcher, locks, helper or none");
			return;
		}
		words++;
		rules |= role_rules[r];
		none |= !role_rules[r];
	}
	if (!words || (none && rules)) {
		complain_file(fs, value, strlen(value), !words ? "expected a role" :
			      "\"none\" goes alone");
		return;
	}
	fs->role_said = 1;
	fs->rules = rules;
}

char *noleak_reexec;

/* "reexec = /usr/sbin/legacyd.new" in the program's section: programs it
 * starts that are the daemon again although another file (an upgrade to
 * a binary of another name), as its own executable is (SCOPE, R7, R14).
 * Absolute paths, separated by commas or blanks; lines add up, to a
 * value of 511 bytes in all (NOLEAK_REEXEC_MAX with a NUL after each
 * path).  A bad path, or none, makes the whole line bad; the page is
 * mapped for the first good line only. */
static void file_reexec(struct file_settings *fs, const char *value)
{
	char *room = noleak_reexec;
	size_t used = 0, paths = 0;
	const char *p = value;

	while (room && room[used])	/* after what earlier lines said */
		used += strlen(room + used) + 1;
	for (size_t n, need = used; (n = next_word(&p)) != 0; p += n, paths++) {
		need += n + 1;
		if (*p != '/') {
			complain_file(fs, p, n, "expected an absolute path");
			return;
		}
		if (need > NOLEAK_REEXEC_MAX) {
			complain_file(fs, p, n, "too many paths to re-execute "
				      "(511 bytes in all)");
			return;
		}
	}
	if (!paths) {
		complain_file(fs, value, strlen(value), "expected an absolute path");
		return;
	}
	if (!room) {
		room = mmap(NULL, NOLEAK_REEXEC_MAX + 1, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (room == MAP_FAILED) {
			complain_file(fs, "reexec", 6, "no memory for its paths");
			return;
		}
		noleak_reexec = room;
	}
	for (size_t n; (n = next_word(&value)) != 0; value += n) {
		memcpy(room + used, value, n);
		room[used + n] = '\0';
		used += n + 1;
		room[used] = '\0';
	}
}

/* A setting of the file: key and value, the value a copy ending in NUL. */
static void file_value(struct file_settings *fs, const char *key, size_t key_len,
		       const char *value, int in_section)
{
	static const char *const keys[] = { "mode", "signals", "log", "keep", "role",
					    "reexec", NULL };
	/* The keys only a program's [/path] section may hold, and why. */
	static const char *const own_only[sizeof(keys) / sizeof(keys[0])] = {
		[4] = "a role is a program's own: put it in the program's [/path] section",
		[5] = "programs re-executed are a program's own: put them in its "
		      "[/path] section",
	};
	char name[16];
	int k, *slot = NULL, i = -1;
	const char *const *names = NULL;

	snprintf(name, sizeof(name), "%.*s", (int)(key_len < 15 ? key_len : 15), key);
	k = key_len < 15 ? noleak_choose(name, keys) : -1;
	if (k < 0) {
		complain_file(fs, key, key_len,
			      "unknown key; expected mode, signals, log, keep, role or reexec");
		return;
	}
	if (own_only[k] && !in_section) {
		complain_file(fs, keys[k], strlen(keys[k]), own_only[k]);
		return;
	}
	if (k == 4) {
		file_role(fs, value);
		return;
	}
	if (k == 5) {
		file_reexec(fs, value);
		return;
	}
	if (k == 2) {
		snprintf(fs->log, sizeof(fs->log), "%s", value);
		memcpy(fs->log_where, fs->where, sizeof(fs->where));
		return;
	}
	if (k == 3) {
		noleak_config.keep.no_numbers = 0;
		noleak_keep_parse(value, &noleak_config.keep, complain_file_keep, fs);
		return;
	}
	names = k == 0 ? modes : signal_choices;
	slot = k == 0 ? &fs->mode : &fs->signals;
	i = noleak_choose(value, names);
	if (i < 0)
		complain_file(fs, value, strlen(value), k == 0 ?
			      "expected enforce, audit or off" : "expected restore or keep");
	else
		*slot = i;
}

/* noleak_conf_walk's callback: a line that applies, or a bad one. */
static void file_line(void *ctx, const struct noleak_conf_line *l, const char *why)
{
	struct file_settings *fs = ctx;
	static char value[CONF_VALUE_MAX];	/* once, under noleak_init's lock */

	fs->line = l->line;
	snprintf(fs->where, sizeof(fs->where), "%s:%d", fs->path, l->line);
	if (why) {
		complain_file(fs, l->key, l->key_len, why);
		return;
	}
	if (l->value_len >= sizeof(value)) {
		complain_file(fs, l->key, l->key_len, "the value is too long");
		return;
	}
	memcpy(value, l->value, l->value_len);
	value[l->value_len] = '\0';
	file_value(fs, l->key, l->key_len, value, l->section);
}

/* Why the file at fd may not be trusted, or NULL.  Root's file, or, when
 * NOLEAK_CONFIG names it, the user's own; never writable by others. */
static const char *file_untrusted(int fd, int named, char *why, size_t len)
{
	struct stat st;
	long uid = noleak_raw(SYS_geteuid, 0, 0, 0, 0, 0);

	if (noleak_raw(SYS_fstat, fd, (long)&st, 0, 0, 0) < 0)
		return "cannot read its status";
	if (!S_ISREG(st.st_mode))
		return "it is not a regular file";
	if (st.st_uid != 0 && !(named && (long)st.st_uid == uid)) {
		snprintf(why, len, "it belongs to uid %ld, not root", (long)st.st_uid);
		return why;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, len, "group or others may write to it (mode %04o)",
			 (unsigned)(st.st_mode & 07777));
		return why;
	}
	if (st.st_size > CONF_MAX)
		return "it is longer than 16 KiB";
	return NULL;
}

/* The one line that says the whole file is ignored, and why. */
static void file_ignored(const char *path, const char *why)
{
	struct noleak_line l;

	noleak_line_begin(&l);
	noleak_line_str(&l, path);
	noleak_line_str(&l, ": ignored: ");
	noleak_line_str(&l, why);
	noleak_line_emit(&l);
}

/* The file's text, into buf; its length, or -1 (said why, when it
 * matters: a missing system file is the usual case and says nothing). */
static long file_text(struct file_settings *fs, int named, char *buf)
{
	char why[96];
	const char *bad;
	long fd = noleak_raw(SYS_open, (long)fs->path,
			     O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0, 0, 0);
	long n = 0, got;

	if (fd < 0) {
		snprintf(why, sizeof(why), "cannot open it (%s)", strerror((int)-fd));
		if (named)
			complain((void *)"NOLEAK_CONFIG", fs->path, strlen(fs->path), why);
		else if (fd != -ENOENT)
			file_ignored(fs->path, why);
		return -1;
	}
	bad = file_untrusted((int)fd, named, why, sizeof(why));
	while (!bad && n < CONF_MAX &&
	       (got = noleak_raw(SYS_read, fd, (long)buf + n, CONF_MAX - n, 0, 0)) != 0) {
		if (got < 0 && got != -EINTR)
			bad = "cannot read it";
		else if (got > 0)
			n += got;
	}
	noleak_raw(SYS_close, fd, 0, 0, 0, 0);
	if (bad) {
		file_ignored(fs->path, bad);
		return -1;
	}
	return n;
}

/* This program's executable, for the file's sections. */
static const char *exe_path(char *buf, size_t len)
{
	long n = noleak_raw(SYS_readlink, (long)"/proc/self/exe", (long)buf,
			    (long)len - 1, 0, 0);

	if (n <= 0 || n >= (long)len - 1)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* The configuration file ($sysconfdir/noleak.conf, or NOLEAK_CONFIG but
 * never under secure execution; an empty NOLEAK_CONFIG reads none): read
 * once, at the first call that needs the configuration, never at start. */
static void read_file(struct file_settings *fs)
{
	/* Static, not on the stack: set-up may come at a first call made on
	 * a small thread stack or a signal stack; it runs once, alone. */
	static char text[CONF_MAX], exe[PATH_MAX];
	const char *named = getauxval(AT_SECURE) ? NULL : getenv("NOLEAK_CONFIG");
	long n;

	fs->path = named ? named : NOLEAK_CONFIG_FILE;
	if (named && !*named)
		return;
	if (named && *named != '/') {
		complain((void *)"NOLEAK_CONFIG", named, strlen(named),
			 "expected an absolute path; no configuration file read");
		return;
	}
	n = file_text(fs, named != NULL, text);
	if (n <= 0)
		return;
	noleak_conf_walk(text, (size_t)n,
			 memchr(text, '[', (size_t)n) ? exe_path(exe, sizeof(exe)) : NULL,
			 file_line, fs);
	file_complaints(fs);
}

/* ---- the environment -------------------------------------------------- */

/* Under secure execution (setuid, setgid, file capabilities) the
 * environment and argv[0] belong to whoever started the program, who must
 * not be able to widen what reaches its children: no keep-list, no mode
 * but what the configuration file (root's) says, no owner but this
 * process (a foreign one would make it dormant), no shell exemption by
 * name, and hand-over variables only as the program itself sets them.
 * One line says what was ignored, naming variables, never echoing values.
 * *keep and *owner are cleared. */
static void read_secure(const char **keep, const char **owner, int file_mode)
{
	static struct noleak_handover handover;
	int ignored = (*keep != NULL) |
		      ((int)noleak_config.mode != file_mode) << 1;
	struct noleak_line l;

	noleak_secure = 1;
	noleak_handover_record(environ, &handover);
	noleak_handover_start = &handover;
	*keep = NULL;
	*owner = NULL;
	noleak_config.mode = (enum noleak_mode)file_mode;
	if (!ignored)
		return;
	noleak_line_begin(&l);
	noleak_line_str(&l, ignored == 1 ? "NOLEAK_KEEP: ignored" :
			ignored == 2 ? "NOLEAK_MODE: ignored" :
			"NOLEAK_KEEP, NOLEAK_MODE: ignored");
	noleak_line_str(&l, ": a setuid or setcap program takes nothing from "
			"its environment that would pass more to its children");
	noleak_line_emit(&l);
}

/* The process the shim was given to: named by the noleak wrapper (it
 * execs the daemon, so the pid carries over) or by the first process of
 * the tree (noleak_constructor), else this one.  Loaded host-wide, every
 * process is protected in its own right, whatever an ancestor said. */
static void read_owner(const char *owner, long pid)
{
	noleak_config.owner = noleak_pid_parse(owner);
	if (noleak_config.owner <= 0)
		noleak_config.owner = pid;
}

/* Numbers in the keep-list are for the process it was given to (and, by
 * its sweeps, its direct children), not for whatever descriptors carry
 * those numbers further down the tree.  Resources (tcp:8080, path:...)
 * are checked by identity, so they hold everywhere; bad entries are
 * reported once, by the owner. */
static void read_keep(const char *keep, long pid)
{
	struct keep_complaints kc = { 0 };
	struct noleak_line l;

	noleak_config.keep.no_numbers = pid != noleak_config.owner;
	noleak_keep_parse(keep, &noleak_config.keep,
			  pid == noleak_config.owner ? complain_keep : NULL, &kc);
	if (kc.n <= KEEP_COMPLAINTS_SHOWN)
		return;
	noleak_line_begin(&l);
	noleak_line_str(&l, "NOLEAK_KEEP: ");
	noleak_line_int(&l, (long)(kc.n - KEEP_COMPLAINTS_SHOWN));
	noleak_line_str(&l, " more bad entries ignored; the valid ones apply");
	noleak_line_emit(&l);
}

/* Whether this process sweeps, reports, or is left exactly as without the
 * shim. */
static void decide(long pid)
{
	noleak_dormant = (noleak_config.scope == NOLEAK_SCOPE_PROCESS &&
			  !noleak_config.hostwide && pid != noleak_config.owner) ||
			 (noleak_config.rules & NOLEAK_RULE(PROGRAM_SHELL));
	/* Audit changes nothing either: it only says, at each exec, what
	 * enforce would have stopped. */
	noleak_audit = !noleak_dormant && noleak_config.mode == NOLEAK_MODE_AUDIT;
	if (noleak_config.mode != NOLEAK_MODE_ENFORCE)
		noleak_dormant = 1;
	noleak_reporting = noleak_audit || (noleak_log_set && !noleak_dormant);
	snprintf(noleak_config.name, sizeof(noleak_config.name), "%s",
		 program_invocation_short_name);
}

/* The file says what applies to all and to this program; the environment
 * has the last word for the process it is set in. */
static void read_settings(void)
{
	/* Static, for its size; set here, not by an initializer, which would
	 * put its kilobytes among the data every process's start writes. */
	static struct file_settings fs;
	const char *keep = getenv("NOLEAK_KEEP");
	const char *owner = getenv("_NOLEAK_PID");
	long pid = noleak_config.self;
	int file_mode;

	memset(&fs, 0, sizeof(fs));	/* a set-up may run again (noleak_init) */
	if (noleak_reexec)
		noleak_reexec[0] = '\0';
	fs.mode = fs.signals = -1;
	noleak_config.rules = program_rules();
	read_log();
	/* A shell is left as it is whatever the file says (decide). */
	if (!(noleak_config.rules & NOLEAK_RULE(PROGRAM_SHELL)))
		read_file(&fs);
	/* The program's own row in the file, where it has one, says what
	 * it is; its name, only where no row speaks (R15). */
	if (fs.role_said)
		noleak_config.rules = fs.rules;
	if (fs.log[0] && !noleak_log_set && use_log(fs.log_where, fs.log, 0))
		noleak_log_set = 1;
	file_mode = fs.mode >= 0 ? fs.mode : NOLEAK_MODE_ENFORCE;
	noleak_config.scope = choice("NOLEAK_SCOPE", scopes, NOLEAK_SCOPE_PROCESS);
	/* Host-wide, nobody asked for a daemon's ignored signals to be kept
	 * from its children, and many programs pass them on on purpose
	 * (CPython's restore_signals=False): POSIX's way unless said. */
	if (fs.signals < 0)
		fs.signals = noleak_config.hostwide;
	noleak_config.restore_signals =
		choice("NOLEAK_SIGNALS", signal_choices, fs.signals) == 0;
	noleak_config.mode = (enum noleak_mode)choice("NOLEAK_MODE", modes, file_mode);
	(void)choice("NOLEAK_SECCOMP", seccomp_choices, 0);	/* read at load */
	if (getauxval(AT_SECURE))
		read_secure(&keep, &owner, file_mode);
	read_owner(owner, pid);
	if (keep)
		read_keep(keep, pid);
	decide(pid);
}

/* ---- what the process started with ------------------------------------- */

/* The library's variables as the process found them, to put back into
 * the environment of an exec of the daemon's own program that was built
 * without them (nginx's binary upgrade passes only TZ, NGINX and what its
 * env directives name).  Copied: a program may write over the memory its
 * environment came in (nginx puts its process title there). */
static void record_carry(void)
{
	static const char *const names[] = {
		"LD_PRELOAD=", "NOLEAK_SCOPE=", "NOLEAK_MODE=", "NOLEAK_SIGNALS=",
		"NOLEAK_SECCOMP=", "NOLEAK_LOG=", "NOLEAK_KEEP=", "NOLEAK_CONFIG=", NULL
	};
	static char room[4096];
	size_t n = 0, used = 0;

	for (size_t i = 0; names[i]; i++)
		for (char **e = environ; e && *e; e++)
			if (!strncmp(*e, names[i], strlen(names[i]))) {
				size_t len = strlen(*e) + 1;

				if (used + len <= sizeof(room)) {
					memcpy(room + used, *e, len);
					noleak_config.carry[n++] = room + used;
					used += len;
				}
				break;
			}
	noleak_config.carry[n] = NULL;
}

/* After an exec of its own program, the daemon finds open and inheritable
 * the descriptors whose close-on-exec the shim took off for it
 * (_NOLEAK_REEXEC, a list of numbers and ranges): they are its own, not
 * passed on purpose by whoever started it, so the shim marks them again
 * as its own flag, as when they were made.  Called from the constructor
 * only, where the environment may be changed. */
static void remark_reexec(void)
{
	const char *list = getenv("_NOLEAK_REEXEC");
	long pid = 0;

	if (!list)
		return;
	/* "PID:LIST", written by the exec of this very process (exec.c):
	 * anything else is somebody else's variable, and stays. */
	for (; *list >= '0' && *list <= '9' && pid < (1L << 40); list++)
		pid = pid * 10 + (*list - '0');
	if (*list != ':' || pid != noleak_config.self)
		return;
	if (!noleak_dormant && !noleak_secure)
		noleak_added_mark_list(list + 1);
	unsetenv("_NOLEAK_REEXEC");
}

/* Our own file name, to find ourselves in LD_PRELOAD. */
static void record_library(void)
{
	Dl_info info;
	const char *base = "libnoleak.so";

	if (noleak_config.libbase[0])
		return;
	if (dladdr((void *)noleak_init, &info) && info.dli_fname) {
		const char *slash = strrchr(info.dli_fname, '/');

		base = slash ? slash + 1 : info.dli_fname;
	}
	snprintf(noleak_config.libbase, sizeof(noleak_config.libbase), "%s", base);
}

static int starts_with(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

/* Whether value has "noleak" in it, without strstr. */
static int mentions_us(const char *value)
{
	for (const char *p = value; p && *p; p++)
		if (starts_with(p, "noleak"))
			return 1;
	return 0;
}

/* Whether LD_PRELOAD's value preload names this library.  When it does
 * not, the loader found it in /etc/ld.so.preload: host-wide, every process
 * is protected in its own right, and nothing is passed down in the
 * environment.  Where another library is preloaded (a sanitizer,
 * valgrind's), the exact answer costs a dladdr: a file name without
 * "noleak" in it is not ours (a copy renamed to something else is taken
 * for loaded host-wide, as libnoleak(7) says).  Called by the constructor
 * only: dladdr takes the loader's lock, which a set-up must never wait
 * for. */
NOLEAK_AT_LOAD static int preload_is_ours(const char *preload)
{
	const char ours[] = "libnoleak.so";

	if (!mentions_us(preload))
		return 0;
	if (noleak_preload_names(preload, ours)) {
		for (size_t i = 0; i < sizeof(ours); i++)
			noleak_config.libbase[i] = ours[i];
		return 1;
	}
	record_library();
	return noleak_preload_names(preload, noleak_config.libbase);
}

int noleak_ready;

/* ---- the summary ------------------------------------------------------- */

/* The pid that forked this process, as the fork handler saw it. */
static long forked_by;

static void before_fork(void)
{
	forked_by = noleak_raw(SYS_getpid, 0, 0, 0, 0, 0);
}

/* A fork of the speaker may be the daemon going to the background: the
 * latest one is its heir, until it starts another program.  A handler,
 * so that daemon(3), whose fork is glibc's own, counts too. */
static void after_fork_child(void)
{
	if (noleak_counts &&
	    forked_by == __atomic_load_n(&noleak_counts->speaker, __ATOMIC_RELAXED))
		__atomic_store_n(&noleak_counts->heir,
				 noleak_raw(SYS_getpid, 0, 0, 0, 0, 0), __ATOMIC_RELAXED);
}

/* The library is linked without the C runtime's start files (Makefile.am
 * says why), which would define this handle: pthread_atfork names the
 * object its handlers belong to with it (libc_nonshared.a).  The library
 * is never unloaded (-z nodelete), so the handlers never outlive it. */
__attribute__((visibility("hidden"))) void *__dso_handle = &__dso_handle;

/* Counts shared by the process and every fork of it. */
static void start_counting(void)
{
	void *page = mmap(NULL, sizeof(*noleak_counts), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		return;
	noleak_counts = page;
	noleak_counts->speaker = noleak_config.self;
	pthread_atfork(before_fork, NULL, after_fork_child);
}

void noleak_summary_forked(long child)
{
	if (noleak_counts && child > 0 &&
	    __atomic_load_n(&noleak_counts->speaker, __ATOMIC_RELAXED) ==
	    noleak_raw(SYS_getpid, 0, 0, 0, 0, 0))
		__atomic_store_n(&noleak_counts->heir, child, __ATOMIC_RELAXED);
}

/* Whether this process, exiting, says the summary: it is the speaker, and
 * no heir of its is running on (the launcher of a daemon that forks into
 * the background exits first: the daemon speaks when it ends); or it is
 * the heir of a speaker that ended without a word (daemon(3)'s parent
 * leaves by _exit). */
static int speaks(void)
{
	long me, heir, speaker;

	if (!noleak_counts)
		return 0;
	me = noleak_raw(SYS_getpid, 0, 0, 0, 0, 0);
	speaker = __atomic_load_n(&noleak_counts->speaker, __ATOMIC_RELAXED);
	heir = __atomic_load_n(&noleak_counts->heir, __ATOMIC_RELAXED);
	if (speaker != me)
		return heir == me && noleak_raw(SYS_kill, speaker, 0, 0, 0, 0) == -ESRCH;
	if (heir > 0 && heir != me && noleak_raw(SYS_kill, heir, 0, 0, 0, 0) == 0) {
		__atomic_store_n(&noleak_counts->heir, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&noleak_counts->speaker, heir, __ATOMIC_RELAXED);
		return 0;
	}
	return 1;
}

/* The library links with lazy binding (each process resolves only the C
 * library functions it calls, on first call: cheaper at load), and the
 * loader resolves a function on the stack of its first caller, a kilobyte
 * or more.  The paths that start a program may run on a small stack (a
 * 4 KiB clone stack, a thread's 16 KiB, a vfork child): the functions
 * they call are called once here, on set-up's own stack, with arguments
 * that change nothing and make no system call. */
static void warm_calls(void)
{
	static volatile long sink;	/* no call left out */
	char buf[8] = "a", b[8];
	char *volatile opaque = buf;
	volatile size_t one = 1, all = sizeof(buf);	/* not known here */
	char *a = opaque;
	posix_spawnattr_t attr;
	struct sched_param sp;
	sigset_t set;
	short flags;
	pid_t group;
	int policy, state, err = errno;

	memcpy(b, a, all);
	memmove(a, b, all);
	sink = (long)strlen(a) + (long)strnlen(a, one) + strcmp(a, b) +
	       strncmp(a, b, one) + (long)strchr(a, 'a') + (long)strrchr(a, 'a') +
	       (long)strcspn(a, ":") + (long)strstr(a, b) +
	       (long)memchr(a, 'a', one) + memcmp(a, b, one);
	memset(b, 0, all);
	sink += b[0] + a[0];
	sink += strtol(a, NULL, 10) + (long)gnu_get_libc_version();
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sink += sigismember(&set, SIGCHLD);
	if (posix_spawnattr_init(&attr) == 0) {
		posix_spawnattr_getflags(&attr, &flags);
		posix_spawnattr_setflags(&attr, flags);
		posix_spawnattr_getpgroup(&attr, &group);
		posix_spawnattr_getsigmask(&attr, &set);
		posix_spawnattr_setsigmask(&attr, &set);
		posix_spawnattr_getsigdefault(&attr, &set);
		posix_spawnattr_setsigdefault(&attr, &set);
		posix_spawnattr_getschedpolicy(&attr, &policy);
		posix_spawnattr_getschedparam(&attr, &sp);
		posix_spawnattr_destroy(&attr);
	}
	if (pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state) == 0)
		pthread_setcancelstate(state, NULL);
	/* glibc's clone refuses a NULL function before any system call
	 * (sysdeps/unix/sysv/linux/x86_64/clone.S). */
	(void)!clone(NULL, NULL, 0, NULL);
	errno = err;
}

/* The configuration, from nothing: what the set-up writes is reset first,
 * so that a set-up run again (in the child of a fork that caught another
 * thread's set-up half done) never builds on half of one. */
static void set_up(void *unused)
{
	(void)unused;
	memset(&noleak_config.keep, 0, sizeof(noleak_config.keep));
	noleak_dormant = noleak_audit = noleak_log_set = noleak_reporting = 0;
	noleak_log_note_stderr();
	read_settings();
	if (!noleak_secure && !noleak_config.hostwide)
		record_carry();
	if (noleak_reporting && !noleak_config.hostwide && !noleak_counts)
		start_counting();
	warm_calls();
}

/* Set-up runs on a stack of its own: the first call may come from a
 * small thread stack, a signal handler's sigaltstack or a vfork child on
 * a 4 KiB clone stack, and reading the configuration takes a few
 * kilobytes.  In a vfork child the mapping lands in the parent and is
 * gone before the parent resumes.  Where nothing can be mapped, the
 * caller's stack it is. */
enum { SET_UP_STACK = 64 * 1024 };

/* Everything the wrappers need that may wait, at the first call that needs
 * it, not at load: most processes (a /bin/true, a shell's short commands)
 * never create a descriptor through the library or start a program, and
 * pay nothing for what they would not use.  What cannot wait (the census
 * of inherited descriptors, the pid, the blocked mask, whether the library
 * is host-wide) the constructor has recorded.
 *
 * Nothing here takes the loader's lock (no dlsym, no dladdr: binding is
 * next.c's, and never waits), so a thread that waits here for another's
 * set-up never waits for a dlopen that waits for it.  A caller that
 * re-enters from inside the set-up (a signal handler) finds the library
 * not ready and is left as without it (noleak_asleep); the child of a
 * fork made while another thread set up sets up again itself. */
/* NOLEAK_SECCOMP=trust, honoured without secure execution only. */
static int trusts_filter(void)
{
	const char *v = getenv("NOLEAK_SECCOMP");

	return v && !strcmp(v, "trust") && !getauxval(AT_SECURE);
}

void noleak_init(void)
{
	static struct noleak_once ready;

	/* Under a filter from the start (_NOLEAK_SANDBOX): no set-up, whose
	 * calls the filter may not allow; the library stays asleep. */
	if (__atomic_load_n(&noleak_sandboxed, __ATOMIC_ACQUIRE) &&
	    !__atomic_load_n(&noleak_ready, __ATOMIC_ACQUIRE))
		return;
	if (!noleak_config.self && !trusts_filter() && noleak_filtered_from_start()) {
		/* A wrapper before our constructor, under a filter the
		 * process came with (noleak_constructor). */
		__atomic_store_n(&noleak_sandboxed, 1, __ATOMIC_RELEASE);
		return;
	}
	if (!noleak_once_enter(&ready, 1))
		return;
	if (!noleak_config.self)	/* a wrapper before our constructor */
		noleak_config.self = noleak_raw(SYS_getpid, 0, 0, 0, 0, 0);
	if (noleak_on_own_stack(set_up, NULL, SET_UP_STACK) < 0)
		set_up(NULL);
	__atomic_store_n(&noleak_ready, 1, __ATOMIC_RELEASE);
	noleak_once_leave(&ready);
}

/* What the constructor needs of the environment it starts with, found in
 * one pass and without the C library: the first call of each libc
 * function costs the loader a symbol lookup, in every process. */
struct at_start {
	const char *preload;	/* LD_PRELOAD's value */
	int owner_named;	/* _NOLEAK_PID is a pid */
	long owner;		/* that pid */
	int tree;		/* NOLEAK_SCOPE is set, to anything but
				   "process" */
	int sandbox;		/* _NOLEAK_SANDBOX is set */
	int trust;		/* NOLEAK_SECCOMP=trust */
	int now;		/* set up at once: NOLEAK_MODE, NOLEAK_LOG or
				   _NOLEAK_REEXEC is set */
};

static int all_digits(const char *s)
{
	const char *p = s;

	while (*p >= '0' && *p <= '9')
		p++;
	return p > s && !*p && *s != '0';
}

NOLEAK_AT_LOAD static void scan_start(char **envp, struct at_start *st)
{
	/* Short arrays on the stack, which the compiler fills from
	 * immediates: string literals would be read from .rodata, one page
	 * more in every process. */
	const char preload[] = "LD_PRELOAD=", ours[] = "NOLEAK_", pid[] = "PID=",
		   mode[] = "MODE=", log[] = "LOG=", reexec[] = "REEXEC=",
		   scope[] = "SCOPE=", process[] = "process", sandbox[] = "SANDBOX=",
		   seccomp[] = "SECCOMP=", trust[] = "trust";

	for (char **e = envp; e && *e; e++) {
		const char *v = *e, *w = v + (*v == '_');

		if (*v == 'L' && starts_with(v, preload)) {
			st->preload = v + sizeof(preload) - 1;
			continue;
		}
		/* NOLEAK_* are the user's, _NOLEAK_* the library's own. */
		if ((*v != 'N' && *v != '_') || !starts_with(w, ours))
			continue;
		w += sizeof(ours) - 1;
		if (*v == '_' && starts_with(w, pid)) {
			st->owner_named = all_digits(w + sizeof(pid) - 1);
			st->owner = 0;
			for (const char *d = w + sizeof(pid) - 1;
			     st->owner_named && *d && st->owner < (1L << 40); d++)
				st->owner = st->owner * 10 + (*d - '0');
		} else if (*v == '_' && starts_with(w, sandbox)) {
			st->sandbox = 1;
		} else if (*v == 'N' && starts_with(w, seccomp)) {
			st->trust = starts_with(w + sizeof(seccomp) - 1, trust) &&
				    w[sizeof(seccomp) - 1 + sizeof(trust) - 1] == '\0';
		} else if (*v == 'N' && starts_with(w, scope))
			st->tree = !starts_with(w + sizeof(scope) - 1, process) ||
				   w[sizeof(scope) - 1 + sizeof(process) - 1] != '\0';
		else if (*v == '_' ? starts_with(w, reexec)
				   : starts_with(w, mode) || starts_with(w, log))
			st->now = 1;
	}
}

/* The owner's environment: what setenv("_NOLEAK_PID", pid) would make,
 * without it.  setenv's first call sets malloc up, a few system calls and
 * fresh pages in a process that may never allocate.  glibc's setenv,
 * putenv and unsetenv take an environ they did not allocate as it is,
 * copying the array when it grows (stdlib/setenv.c), as they would the
 * one on the stack; and the variable goes where setenv would put it:
 * last, or in place of one that is there.  An environment of more than
 * OWNER_ENV_SLOTS - 2 entries (room for the variable and the NULL) goes
 * by setenv. */
#define OWNER_NAME "_NOLEAK_PID="
enum { OWNER_ENV_SLOTS = 128, OWNER_NAME_LEN = sizeof(OWNER_NAME) - 1 };
static char *owner_env[OWNER_ENV_SLOTS];
static char owner_var[32] = OWNER_NAME;

/* The first process of a tree the environment put under the library
 * tells its descendants it is the owner (_NOLEAK_PID), here, where the
 * environment may still be changed safely: at load no other thread runs.
 * (A copy of the library opened later by dlopen, while LD_PRELOAD names a
 * library of that name that was not preloaded, would change it without
 * the lock setenv takes.) */
NOLEAK_AT_LOAD static void record_owner(const struct at_start *st)
{
	char digits[24], *d = digits + sizeof(digits), *v = owner_var + OWNER_NAME_LEN;
	long pid = noleak_config.self;
	size_t n = 0, at;

	if (st->owner_named || noleak_config.hostwide)
		return;
	*--d = '\0';
	do
		*--d = (char)('0' + pid % 10);
	while (pid /= 10);
	while ((*v++ = *d++))
		;
	while (environ && environ[n])
		n++;
	at = n;		/* where the variable goes: last, unless it is there */
	if (n + 2 > OWNER_ENV_SLOTS) {
		setenv("_NOLEAK_PID", owner_var + OWNER_NAME_LEN, 1);
		return;
	}
	/* A _NOLEAK_PID that is not a pid (empty, "007") is replaced where
	 * it stands, as setenv replaces the first entry of a name. */
	for (size_t i = 0; i < n; i++) {
		owner_env[i] = environ[i];
		if (at == n && starts_with(environ[i], OWNER_NAME))
			at = i;
	}
	owner_env[at] = owner_var;
	owner_env[at == n ? n + 1 : n] = NULL;
	environ = owner_env;
}

/* At load, only what cannot be known later, all of it cheap: the
 * arguments (glibc passes them, and the environment, to every
 * constructor: elf/dl-init.c, call_init), to know the daemon when it
 * starts itself again; its pid, to tell an exec in place from a child's;
 * the blocked mask it started with, to give the same to its children.
 * Dispositions are recorded as the program changes them (wrap-signal.c).
 * Everything else waits for the first call that needs it, unless reports
 * are asked for (their counts are shared with the children, so they are
 * set up before any), the daemon is starting itself again
 * (_NOLEAK_REEXEC), or the program runs with privileges its caller does
 * not have (AT_SECURE): whatever it makes behind the library's back
 * before its first call is not to be taken for inherited. */
__attribute__((constructor)) static void noleak_constructor(int argc, char **argv,
							    char **envp)
{
	struct at_start st = { NULL, 0, 0, 0, 0, 0, 0 };
	int secure = (int)getauxval(AT_SECURE);

	if (argc > 0 && argv)
		noleak_config.args_digest = noleak_args_digest(argv);
	scan_start(envp, &st);
	/* Started under a seccomp filter a parent of ours installed: not one
	 * system call (wrap-sandbox.c), not even this start's. */
	if (st.sandbox && !secure) {
		noleak_sandboxed = 1;
		return;
	}
	/* Started under a filter nobody told us of (a launcher without the
	 * library installed it): the same, unless the operator says it
	 * allows the library's calls. */
	if ((!st.trust || secure) && noleak_filtered_from_start()) {
		noleak_sandboxed = 1;
		return;
	}
	if (!noleak_config.self)
		noleak_config.self = noleak_raw(SYS_getpid, 0, 0, 0, 0, 0);
	noleak_raw(SYS_rt_sigprocmask, SIG_BLOCK, 0,
		   (long)&noleak_config.mask_at_start, 8, 0);
	noleak_table_own(noleak_config.self);
	noleak_config.hostwide = !preload_is_ours(st.preload);
	record_owner(&st);
	/* A descendant the process scope leaves dormant needs no census. */
	if (noleak_config.hostwide || !st.owner_named || st.owner == noleak_config.self ||
	    st.tree)
		noleak_census(STARTUP_SCAN_CAP);
	if (st.now || secure) {
		noleak_init();
		remark_reexec();
	}
}

/* When reports are on, the process noleak was given to (or the daemon it
 * left running in the background) ends with one line
 * saying what it saw: how many programs it started, and how many
 * descriptors would have leaked into them (audit) or were kept from them;
 * then a line for each descriptor, naming it (noleak_summary_rows). */
__attribute__((destructor)) static void noleak_summary(void)
{
	struct noleak_line l;

	if (!speaks())
		return;
	noleak_line_begin(&l);
	noleak_line_str(&l, "summary: ");
	noleak_line_str(&l, noleak_config.name);
	noleak_line_str(&l, " started ");
	noleak_line_int(&l, (long)noleak_counts->programs);
	noleak_line_str(&l, noleak_counts->programs == 1 ? " program; " : " programs; ");
	noleak_line_int(&l, (long)noleak_counts->descriptors);
	noleak_line_str(&l, noleak_counts->descriptors == 1 ? " descriptor " : " descriptors ");
	noleak_line_str(&l, noleak_audit ? "would have leaked into them"
					 : "kept from them");
	noleak_line_emit(&l);
	noleak_summary_rows(noleak_audit);
}
