/* SPDX-License-Identifier: MIT */
/* config.c: the process's configuration, read once, and the constructor.
 *
 * The environment is read here and nowhere else: exec wrappers may run in a
 * vfork child, where parsing is out of the question, so everything they
 * need is prepared before (in the constructor, or at the first wrapper that
 * needs it, since other libraries' constructors can run first). */
#include "noleak.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>

/* How far start-up looks for inherited descriptors when /proc is missing. */
enum { STARTUP_SCAN_CAP = 65536 };

struct noleak_config noleak_config;
int noleak_dormant;
int noleak_audit;
int noleak_log_set;

static struct noleak_once ready;

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

/* NOLEAK_LOG: "stderr" (the default), "syslog", or an absolute path to
 * append to.  A path is tried once now, so that a bad one is reported at
 * start rather than lost later; under secure execution (setuid, file
 * capabilities) no path from the environment is opened at all. */
static void read_log(void)
{
	const char *v = getenv("NOLEAK_LOG"), *bad;
	int to = noleak_log_parse(v, sizeof(noleak_log_path), &bad);
	char why[160];
	int fd;

	if (to == NOLEAK_LOG_STDERR) {
		noleak_log_set = v && *v;
		return;
	}
	if (to == NOLEAK_LOG_SYSLOG) {
		noleak_log_to = NOLEAK_LOG_SYSLOG;
		noleak_log_set = 1;
		return;
	}
	if (getauxval(AT_SECURE)) {
		complain((void *)"NOLEAK_LOG", v, strlen(v),
			 "a setuid or setcap program opens no file named by its "
			 "environment; using stderr");
		return;
	}
	if (to < 0) {
		complain((void *)"NOLEAK_LOG", v, strlen(v), bad);
		return;
	}
	fd = noleak_log_open(v);
	if (fd < 0) {
		if (fd == NOLEAK_LOG_NOT_REGULAR)
			snprintf(why, sizeof(why), "it is not a regular file; using stderr");
		else
			snprintf(why, sizeof(why), "cannot open it (%s); using stderr",
				 fd == -ELOOP ? "it is a symbolic link" : strerror(-fd));
		complain((void *)"NOLEAK_LOG", v, strlen(v), why);
		return;
	}
	noleak_raw(SYS_close, fd, 0, 0, 0, 0);
	snprintf(noleak_log_path, sizeof(noleak_log_path), "%s", v);
	noleak_log_to = NOLEAK_LOG_FILE;
	noleak_log_set = 1;
}

/* Under secure execution (setuid, setgid, file capabilities) the
 * environment and argv[0] belong to whoever started the program, who must
 * not be able to widen what reaches its children: no keep-list, no mode
 * but enforce, no owner but this process (a foreign one would make it
 * dormant), no shell exemption by name, and hand-over variables only as
 * the program itself sets them.  One line says what was ignored, naming
 * variables, never echoing values.  *keep and *owner are cleared. */
static void read_secure(const char **keep, const char **owner)
{
	static struct noleak_handover handover;
	int ignored = (*keep != NULL) |
		      (noleak_config.mode != NOLEAK_MODE_ENFORCE) << 1;
	struct noleak_line l;

	noleak_secure = 1;
	noleak_handover_record(environ, &handover);
	noleak_handover_start = &handover;
	*keep = NULL;
	*owner = NULL;
	noleak_config.mode = NOLEAK_MODE_ENFORCE;
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
 * execs the daemon, so the pid carries over), or this one, which then
 * says so to the programs it starts. */
static void read_owner(const char *owner, long pid)
{
	char buf[24];

	noleak_config.owner = noleak_pid_parse(owner);
	if (noleak_config.owner > 0)
		return;
	noleak_config.owner = pid;
	snprintf(buf, sizeof(buf), "%ld", pid);
	setenv("_NOLEAK_PID", buf, 1);
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

static void read_environment(void)
{
	static const char *const scopes[] = { "process", "tree", NULL };
	static const char *const signals[] = { "restore", "keep", NULL };
	static const char *const modes[] = { "enforce", "audit", "off", NULL };
	const char *keep = getenv("NOLEAK_KEEP");
	const char *owner = getenv("_NOLEAK_PID");
	long pid = noleak_raw(SYS_getpid, 0, 0, 0, 0, 0);

	noleak_config.self = pid;
	read_log();
	noleak_config.scope = choice("NOLEAK_SCOPE", scopes, NOLEAK_SCOPE_PROCESS);
	noleak_config.restore_signals = choice("NOLEAK_SIGNALS", signals, 0) == 0;
	noleak_config.mode = choice("NOLEAK_MODE", modes, NOLEAK_MODE_ENFORCE);
	if (getauxval(AT_SECURE))
		read_secure(&keep, &owner);
	read_owner(owner, pid);
	if (keep)
		read_keep(keep, pid);

	noleak_config.rules = program_rules();
	noleak_dormant = (noleak_config.scope == NOLEAK_SCOPE_PROCESS &&
			  pid != noleak_config.owner) ||
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

/* The library's variables as the process found them, to put back into
 * the environment of an exec of the daemon's own program that was built
 * without them (nginx's binary upgrade passes only TZ, NGINX and what its
 * env directives name).  Copied: a program may write over the memory its
 * environment came in (nginx puts its process title there). */
static void record_carry(void)
{
	static const char *const names[] = {
		"LD_PRELOAD=", "NOLEAK_SCOPE=", "NOLEAK_MODE=", "NOLEAK_SIGNALS=",
		"NOLEAK_LOG=", "NOLEAK_KEEP=", NULL
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
 * as its own flag, as when they were made. */
static void remark_reexec(void)
{
	const char *list = getenv("_NOLEAK_REEXEC");

	if (!list)
		return;
	if (!noleak_dormant && !noleak_secure)
		noleak_added_mark_list(list);
	unsetenv("_NOLEAK_REEXEC");
}

/* The blocked mask the process started with, to give the same to its
 * children.  Dispositions are recorded as the program changes them
 * (wrap-signal.c). */
static void record_signals(void)
{
	noleak_raw(SYS_rt_sigprocmask, SIG_BLOCK, 0,
		   (long)&noleak_config.mask_at_start, 8, 0);
}

/* Our own file name, to find ourselves in LD_PRELOAD. */
static void record_library(void)
{
	Dl_info info;
	const char *base = "libnoleak.so";

	if (dladdr((void *)noleak_init, &info) && info.dli_fname) {
		const char *slash = strrchr(info.dli_fname, '/');

		base = slash ? slash + 1 : info.dli_fname;
	}
	snprintf(noleak_config.libbase, sizeof(noleak_config.libbase), "%s", base);
}

/* Whatever reached this process inheritable was passed on purpose by
 * whoever started it (a supervisor's sockets, a shell's "3<file"): record
 * it, however many, so that passing it on is not taken for a leak. */
static void record_inherited(void)
{
	noleak_inherited_record(STARTUP_SCAN_CAP);
}

void noleak_init(void)
{
	if (!noleak_once_enter(&ready))
		return;
	noleak_next_bind();
	record_library();
	noleak_log_note_stderr();
	read_environment();
	/* A dormant process sweeps nothing: what it inherited and how it
	 * started does not matter, and it starts faster without asking.
	 * Audit needs only what it inherited, to tell it from a leak. */
	remark_reexec();
	if (!noleak_secure)
		record_carry();
	if (!noleak_dormant || noleak_audit)
		record_inherited();
	if (!noleak_dormant) {
		record_signals();
		noleak_sweep_probe();
	}
	noleak_once_leave(&ready);
}

/* glibc passes the program's arguments to every constructor (elf/dl-init.c,
 * call_init): what the daemon was started with, to know it when it starts
 * itself again. */
__attribute__((constructor)) static void noleak_constructor(int argc, char **argv)
{
	if (argc > 0 && argv)
		noleak_config.args_digest = noleak_args_digest(argv);
	noleak_init();
	if (noleak_reporting) {
		void *page = mmap(NULL, sizeof(*noleak_counts), PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		if (page != MAP_FAILED)
			noleak_counts = page;
	}
}

/* When reports are on, the process noleak was given to ends with one line
 * saying what it saw: how many programs it started, and how many
 * descriptors would have leaked into them (audit) or were kept from them. */
__attribute__((destructor)) static void noleak_summary(void)
{
	struct noleak_line l;

	if (!noleak_counts || noleak_raw(SYS_getpid, 0, 0, 0, 0, 0) != noleak_config.self)
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
}
