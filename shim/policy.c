/* SPDX-License-Identifier: MIT */
/* policy.c: the shim's pure decisions.
 *
 * Nothing here touches a descriptor, the environment or global state (but
 * for reading noleak_handover_start, set once at start-up), so every
 * function can be unit-tested without preloading (tests/check_policy.c) and
 * is safe to call from the async-signal-safe zone. */
#include "policy.h"
#include "log.h"
#include "testing.h"

#include <arpa/inet.h>
#include <limits.h>
#include <string.h>

/* Parse a decimal descriptor number in [s, end).  Returns -1 unless the
 * whole span is digits and the value fits an int. */
static long parse_fd(const char *s, const char *end)
{
	long v = 0;

	if (s == end)
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return -1;
	}
	return v;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Check one entry in [s, end), already trimmed.  Returns NULL and fills *r,
 * or the reason the entry is bad. */
static const char *parse_entry(const char *s, const char *end,
			       struct noleak_range *r)
{
	const char *dash = memchr(s, '-', (size_t)(end - s));
	long lo, hi;

	if (!dash) {
		lo = hi = parse_fd(s, end);
		if (lo < 0)
			return "not a descriptor number or range N-M";
	} else {
		lo = parse_fd(s, dash);
		hi = parse_fd(dash + 1, end);
		if (lo < 0 || hi < 0)
			return "not a descriptor number or range N-M";
		if (lo > hi)
			return "range runs backwards";
	}
	r->lo = (int)lo;
	r->hi = (int)hi;
	return NULL;
}

/* Parse a port in [s, end): 1-65535. */
static long parse_port(const char *s, const char *end)
{
	long v = parse_fd(s, end);

	return v >= 1 && v <= 65535 ? v : -1;
}

/* "PORT", "ADDR:PORT" or "[ADDR6]:PORT" in [s, end), into r. */
static const char *parse_inet(const char *s, const char *end,
			      struct noleak_resource *r)
{
	const char *colon = NULL;
	char addr[64];
	size_t n;

	for (const char *p = s; p < end; p++)
		if (*p == ':')
			colon = p;
	r->family = 0;
	if (!colon) {
		long port = parse_port(s, end);

		if (port < 0)
			return "expected a port from 1 to 65535";
		r->port = (unsigned)port;
		return NULL;
	}
	if (parse_port(colon + 1, end) < 0)
		return "expected a port from 1 to 65535 after the address";
	r->port = (unsigned)parse_port(colon + 1, end);
	if (*s == '[' && colon[-1] == ']') {
		n = (size_t)(colon - 1 - (s + 1));
		if (n >= sizeof(addr))
			return "not an IPv6 address";
		memcpy(addr, s + 1, n);
		addr[n] = '\0';
		r->family = AF_INET6;
		return inet_pton(AF_INET6, addr, r->addr) == 1 ? NULL
			: "not an IPv6 address";
	}
	n = (size_t)(colon - s);
	if (n >= sizeof(addr))
		return "not an IPv4 address";
	memcpy(addr, s, n);
	addr[n] = '\0';
	r->family = AF_INET;
	return inet_pton(AF_INET, addr, r->addr) == 1 ? NULL : "not an IPv4 address";
}

/* A resource entry in [s, end): NULL and *r filled, or the reason it is
 * bad; "" when it is not a resource entry at all. */
static const char *parse_resource(const char *s, const char *end,
				  struct noleak_resource *r)
{
	size_t n = (size_t)(end - s);

	memset(r, 0, sizeof(*r));
	if (n > 4 && (!memcmp(s, "tcp:", 4) || !memcmp(s, "udp:", 4))) {
		r->kind = *s == 't' ? NOLEAK_RES_TCP : NOLEAK_RES_UDP;
		return parse_inet(s + 4, end, r);
	}
	if (n >= 5 && !memcmp(s, "unix:", 5)) {
		r->kind = NOLEAK_RES_UNIX;
		if (n == 5 || s[5] != '/')
			return "expected an absolute socket path after unix:";
		if (n - 5 >= sizeof(r->text))
			return "socket path too long";
		memcpy(r->text, s + 5, n - 5);
		return NULL;
	}
	if (n >= 5 && !memcmp(s, "path:", 5)) {
		r->kind = NOLEAK_RES_PATH;
		if (n == 5)
			return "expected a path or pattern after path:";
		if (n - 5 >= sizeof(r->text))
			return "path too long";
		memcpy(r->text, s + 5, n - 5);
		return NULL;
	}
	if (n >= 4 && (!memcmp(s, "tcp:", 4) || !memcmp(s, "udp:", 4)))
		return "expected a port from 1 to 65535";
	return "";
}

int noleak_glob_match(const char *p, const char *t)
{
	const char *star_p = NULL, *star_t = NULL;

	/* The classic two-pointer match: on a mismatch, let the last '*'
	 * swallow one more character. */
	while (*t) {
		if (*p == '*') {
			star_p = ++p;
			star_t = t;
		} else if (*p == '?' || (*p == '\\' && p[1] && p[1] == *t) ||
			   (*p != '\\' && *p == *t)) {
			p += *p == '\\' ? 2 : 1;
			t++;
		} else if (star_p) {
			p = star_p;
			t = ++star_t;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return !*p;
}

size_t noleak_keep_parse(const char *spec, struct noleak_keep *keep,
			 noleak_complaint_fn *complain, void *ctx)
{
	size_t bad = 0;
	const char *s = spec;

	while (s && *s) {
		const char *end = strchr(s, ',');
		const char *next = end ? end + 1 : NULL;
		const char *why;
		struct noleak_range r;
		struct noleak_resource res;

		if (!end)
			end = s + strlen(s);
		while (s < end && is_space(*s))
			s++;
		while (end > s && is_space(end[-1]))
			end--;
		if (s == end) {
			s = next;	/* empty entries (",,", trailing ",") */
			continue;
		}
		why = parse_resource(s, end, &res);
		if (why && !*why) {	/* a number or a range */
			why = parse_entry(s, end, &r);
			if (!why && keep->no_numbers) {
				s = next;
				continue;
			}
			if (!why && keep->n == NOLEAK_KEEP_MAX)
				why = "too many entries";
			if (!why)
				keep->range[keep->n++] = r;
		} else if (!why) {
			if (keep->nres == NOLEAK_RESOURCE_MAX)
				why = "too many resource entries";
			else
				keep->res[keep->nres++] = res;
		}
		if (why) {
			bad++;
			if (complain)
				complain(ctx, s, (size_t)(end - s), why);
		}
		s = next;
	}
	return bad;
}

int noleak_keep_has(const struct noleak_keep *keep, int fd)
{
	for (size_t i = 0; i < keep->n; i++)
		if (fd >= keep->range[i].lo && fd <= keep->range[i].hi)
			return 1;
	return 0;
}

/* glibc reads mode flags from the first seven characters only
 * (libio/fileops.c, _IO_new_file_fopen), and popen accepts 'e' anywhere
 * (libio/iopopen.c), so the 'e' goes right after the first character. */
int noleak_mode_has_cloexec(const char *mode)
{
	if (!mode || !*mode)
		return 0;
	for (size_t i = 1; i < 7 && mode[i]; i++)
		if (mode[i] == 'e')
			return 1;
	return 0;
}

const char *noleak_mode_cloexec(const char *mode, char *buf, size_t len)
{
	size_t n;

	if (!mode || !*mode)
		return mode;
	n = strlen(mode);
	for (size_t i = 1; i < n && i < 7 && mode[i] != ','; i++)
		if (mode[i] == 'e')
			return mode;
	if (n + 2 > len)
		return mode;
	/* glibc reads flags from the six characters after the first
	 * (libio/fileops.c, _IO_new_file_fopen): the 'e' pushes the sixth
	 * out, which must not be one of them (an 'e' there is made up for). */
	if (n > 6 && strchr("+xbmc", mode[6]))
		return mode;
	buf[0] = mode[0];
	buf[1] = 'e';
	memcpy(buf + 2, mode + 1, n);	/* includes the terminating NUL */
	return buf;
}

/* ---- descriptors named on purpose ------------------------------------ */

/* Every way a program tells the program it starts about a descriptor, one
 * line each: who speaks it, where (an environment variable, a word of the
 * command line, or a rule about a program), the name, its form, and where
 * the speaker's source says so.  doc/conventions.md tells the story of
 * each; libnoleak(7) lists them, and tests/check_policy.c checks that it
 * lists every one. */
static const struct noleak_convention conventions[] = {
	{ NULL, NOLEAK_CONV_ARG_OPTION, "fd", "", "--NAME-fd N, --NAME-fd=N", NOLEAK_CONV_NOCASE,
	  "GnuPG g10/gpg.c (--status-fd, --passphrase-fd, --command-fd), Tor __OwningControllerFD, any option whose name ends in fd" },
	{ "dbus-daemon", NOLEAK_CONV_ARG_OPTION, "--print-address", "", "--print-address N", 0,
	  "dbus bus/main.c" },
	{ "dbus-daemon", NOLEAK_CONV_ARG_OPTION, "--print-pid", "", "--print-pid N", 0,
	  "dbus bus/main.c" },
	{ "bwrap", NOLEAK_CONV_ARG_OPTION, "--args", "", "--args N", NOLEAK_CONV_ONLY,
	  "bubblewrap.c parse_args_recurse" },
	{ "bwrap", NOLEAK_CONV_ARG_OPTION, "--seccomp", "", "--seccomp N", NOLEAK_CONV_ONLY,
	  "bubblewrap.c parse_args_recurse" },
	{ "bwrap", NOLEAK_CONV_ARG_OPTION, "--file", "", "--file N", NOLEAK_CONV_ONLY,
	  "bubblewrap.c parse_args_recurse" },
	{ "bwrap", NOLEAK_CONV_ARG_OPTION, "--bind-data", "", "--bind-data N", NOLEAK_CONV_ONLY,
	  "bubblewrap.c parse_args_recurse" },
	{ "bwrap", NOLEAK_CONV_ARG_OPTION, "--ro-bind-data", "", "--ro-bind-data N", NOLEAK_CONV_ONLY,
	  "bubblewrap.c parse_args_recurse" },
	{ "bwrap", NOLEAK_CONV_ARG_OPTION, "--userns", "", "--userns N", NOLEAK_CONV_ONLY,
	  "bubblewrap.c parse_args_recurse" },
	{ "bwrap", NOLEAK_CONV_ARG_OPTION, "--userns2", "", "--userns2 N", NOLEAK_CONV_ONLY,
	  "bubblewrap.c parse_args_recurse" },
	{ "bwrap", NOLEAK_CONV_ARG_OPTION, "--pidns", "", "--pidns N", NOLEAK_CONV_ONLY,
	  "bubblewrap.c parse_args_recurse" },
	{ NULL, NOLEAK_CONV_ARG_PATH, "/dev/fd/", "", "/dev/fd/N as a word, after a redirection or =", 0,
	  "Linux proc(5); bash process substitution" },
	{ NULL, NOLEAK_CONV_ARG_PATH, "/proc/self/fd/", "", "/proc/self/fd/N as a word, after a redirection or =", 0,
	  "Linux proc(5)" },
	{ NULL, NOLEAK_CONV_ARG_PREFIX, "fd:", "", "fd:N, FD:N", NOLEAK_CONV_NOCASE,
	  "OpenSSL apps/lib/apps.c app_get_pass (-pass fd:N); socat xio-fd.c (FD:N)" },
	{ "uwsgi", NOLEAK_CONV_ARG_PREFIX, "fd://", "", "fd://N", 0,
	  "uWSGI core/socket.c uwsgi_bind_sockets" },
	{ "haproxy", NOLEAK_CONV_ARG_PREFIX, "sockpair@", "", "-x sockpair@N, bind sockpair@N", 0,
	  "HAProxy src/mworker.c mworker_reexec; src/tools.c str2sa_range" },
	{ "haproxy", NOLEAK_CONV_ARG_PREFIX, "fd@", "", "bind fd@N, log fd@N", 0,
	  "HAProxy src/tools.c str2sa_range" },
	{ "gpg", NOLEAK_CONV_ARG_PREFIX, "-&", "", "-&N, with --enable-special-filenames", 0,
	  "GnuPG common/sysutils.c check_special_filename; GPGME src/engine-gpg.c build_argv" },
	{ "sh", NOLEAK_CONV_ARG_SHELL_DUP, "<&", "", "N<&M, N>&M, <&M, >&M in a shell command", 0,
	  "POSIX XCU 2.7.5 and 2.7.6, duplicating a descriptor" },
	{ "jspawnhelper", NOLEAK_CONV_ARG_COLONS, "jspawnhelper", "", "R:W or R:W:F, its last argument", NOLEAK_CONV_ONLY,
	  "OpenJDK java.base/unix/native/libjava/ProcessImpl_md.c spawnChild, jspawnhelper.c" },
	{ "systemd", NOLEAK_CONV_ENV_COUNT, "LISTEN_FDS", "", "N descriptors from 3, for the pid in LISTEN_PID", 0,
	  "systemd src/libsystemd/sd-daemon/sd-daemon.c sd_listen_fds" },
	{ "nginx", NOLEAK_CONV_ENV_LIST, "NGINX", ";:", "N;N; (N:N: in old versions)", 0,
	  "nginx src/core/nginx.c ngx_exec_new_binary, ngx_add_inherited_sockets" },
	{ "unicorn", NOLEAK_CONV_ENV_LIST, "UNICORN_FD", ",", "N,N", 0,
	  "unicorn lib/unicorn/http_server.rb" },
	{ "Server::Starter", NOLEAK_CONV_ENV_LIST, "SERVER_STARTER_PORT", ";", "PORT=N;PORT=N", 0,
	  "Server::Starter lib/Server/Starter.pm" },
	{ "gunicorn", NOLEAK_CONV_ENV_LIST, "GUNICORN_FD", ",", "N,N", 0,
	  "gunicorn/arbiter.py Arbiter.reexec (Python 2)" },
	{ "haproxy", NOLEAK_CONV_ENV_KEYS, "HAPROXY_PROCESSES", "fd cfd", "|type=w;fd=N;pid=P|... (cfd=M since 2.7)", 0,
	  "HAProxy src/mworker.c mworker_proc_list_to_env, mworker_env_to_proc_list" },
	{ "dovecot", NOLEAK_CONV_ENV_LIST, "DOVECOT_CONFIG_FD", "", "N", 0,
	  "Dovecot src/config/doveconf.c main; src/lib-master/master-service-settings.c" },
	{ "uwsgi", NOLEAK_CONV_ENV_LIST, "UWSGI_EMPEROR_FD", "", "N", 0,
	  "uWSGI core/emperor.c uwsgi_emperor_spawn_vassal" },
	{ "uwsgi", NOLEAK_CONV_ENV_LIST, "UWSGI_EMPEROR_FD_CONFIG", "", "N", 0,
	  "uWSGI core/emperor.c uwsgi_emperor_spawn_vassal" },
	{ "libassuan", NOLEAK_CONV_ENV_LIST, "_assuan_connection_fd", "", "N", 0,
	  "libassuan src/assuan-pipe-connect.c socketpair_connect" },
	{ "Wayland", NOLEAK_CONV_ENV_LIST, "WAYLAND_SOCKET", "", "N", 0,
	  "wayland src/wayland-client.c wl_display_connect" },
	{ "weston-launch", NOLEAK_CONV_ENV_LIST, "WESTON_TTY_FD", "", "N", 0,
	  "weston libweston/launcher-weston-launch.c (Weston 9 and before)" },
	{ "weston-launch", NOLEAK_CONV_ENV_LIST, "WESTON_LAUNCHER_SOCK", "", "N", 0,
	  "weston libweston/launcher-weston-launch.c (Weston 9 and before)" },
	{ "bash", NOLEAK_CONV_ENV_LIST, "BASH_XTRACEFD", "", "N", 0,
	  "bash variables.c sv_xtracefd" },
	{ "GNU make", NOLEAK_CONV_ENV_JOBSERVER, "MAKEFLAGS", "", "--jobserver-auth=R,W (--jobserver-fds=R,W before 4.2)", 0,
	  "GNU make src/posixos.c jobserver_parse_auth" },
	{ "GNU make", NOLEAK_CONV_ENV_JOBSERVER, "GNUMAKEFLAGS", "", "--jobserver-auth=R,W", 0,
	  "GNU make src/main.c decode_env_switches" },
	{ "jobserver crate", NOLEAK_CONV_ENV_JOBSERVER, "MFLAGS", "", "--jobserver-auth=R,W", 0,
	  "jobserver crate src/lib.rs Client::from_env" },
	{ "cargo", NOLEAK_CONV_ENV_JOBSERVER, "CARGO_MAKEFLAGS", "", "--jobserver-auth=R,W, read before MAKEFLAGS", 0,
	  "jobserver crate src/lib.rs Client::from_env; cargo src/cargo/core/compiler/job_queue" },
	{ "sh", NOLEAK_CONV_PROGRAM_SHELL, "sh", "", "a shell: left alone; what it runs is protected in its place", 0,
	  "\"cmd 3<file\" opens file onto 3 for cmd (POSIX XCU 2.7)" },
	{ "dash", NOLEAK_CONV_PROGRAM_SHELL, "dash", "", "a shell: left alone; what it runs is protected in its place", 0,
	  "\"cmd 3<file\" opens file onto 3 for cmd (POSIX XCU 2.7)" },
	{ "bash", NOLEAK_CONV_PROGRAM_SHELL, "bash", "", "a shell: left alone; what it runs is protected in its place", 0,
	  "\"cmd 3<file\" opens file onto 3 for cmd (POSIX XCU 2.7)" },
	{ "ash", NOLEAK_CONV_PROGRAM_SHELL, "ash", "", "a shell: left alone; what it runs is protected in its place", 0,
	  "\"cmd 3<file\" opens file onto 3 for cmd (POSIX XCU 2.7)" },
	{ "ksh", NOLEAK_CONV_PROGRAM_SHELL, "ksh", "", "a shell: left alone; what it runs is protected in its place", 0,
	  "\"cmd 3<file\" opens file onto 3 for cmd (POSIX XCU 2.7)" },
	{ "ksh93", NOLEAK_CONV_PROGRAM_SHELL, "ksh93", "", "a shell: left alone; what it runs is protected in its place", 0,
	  "\"cmd 3<file\" opens file onto 3 for cmd (POSIX XCU 2.7)" },
	{ "mksh", NOLEAK_CONV_PROGRAM_SHELL, "mksh", "", "a shell: left alone; what it runs is protected in its place", 0,
	  "\"cmd 3<file\" opens file onto 3 for cmd (POSIX XCU 2.7)" },
	{ "pdksh", NOLEAK_CONV_PROGRAM_SHELL, "pdksh", "", "a shell: left alone; what it runs is protected in its place", 0,
	  "\"cmd 3<file\" opens file onto 3 for cmd (POSIX XCU 2.7)" },
	{ "zsh", NOLEAK_CONV_PROGRAM_SHELL, "zsh", "", "a shell: left alone; what it runs is protected in its place", 0,
	  "\"cmd 3<file\" opens file onto 3 for cmd (POSIX XCU 2.7)" },
	{ "yash", NOLEAK_CONV_PROGRAM_SHELL, "yash", "", "a shell: left alone; what it runs is protected in its place", 0,
	  "\"cmd 3<file\" opens file onto 3 for cmd (POSIX XCU 2.7)" },
	{ "posh", NOLEAK_CONV_PROGRAM_SHELL, "posh", "", "a shell: left alone; what it runs is protected in its place", 0,
	  "\"cmd 3<file\" opens file onto 3 for cmd (POSIX XCU 2.7)" },
	{ "start-stop-daemon", NOLEAK_CONV_PROGRAM_LAUNCHER, "start-stop-daemon", "", "starts the daemon: what it runs is protected in its place", 0,
	  "dpkg utils/start-stop-daemon.c do_start (--background)" },
	{ "setsid", NOLEAK_CONV_PROGRAM_LAUNCHER, "setsid", "", "starts the daemon: what it runs is protected in its place", 0,
	  "util-linux sys-utils/setsid.c main" },
	{ "timeout", NOLEAK_CONV_PROGRAM_LAUNCHER, "timeout", "", "starts the daemon: what it runs is protected in its place", 0,
	  "coreutils src/timeout.c main" },
	{ "flock", NOLEAK_CONV_PROGRAM_LAUNCHER, "flock", "", "starts the daemon: what it runs is protected in its place", 0,
	  "util-linux sys-utils/flock.c main" },
	{ "daemon", NOLEAK_CONV_PROGRAM_LAUNCHER, "daemon", "", "starts the daemon: what it runs is protected in its place", 0,
	  "libslack daemon.c" },
	{ "daemonize", NOLEAK_CONV_PROGRAM_LAUNCHER, "daemonize", "", "starts the daemon: what it runs is protected in its place", 0,
	  "daemonize daemonize.c" },
	{ "runuser", NOLEAK_CONV_PROGRAM_LAUNCHER, "runuser", "", "starts the daemon: what it runs is protected in its place", 0,
	  "util-linux login-utils/su-common.c" },
	{ "flock", NOLEAK_CONV_PROGRAM_LOCKS, "flock", "", "flock FILE COMMAND: the locked descriptor reaches COMMAND", 0,
	  "util-linux sys-utils/flock.c main" },
	{ "jspawnhelper", NOLEAK_CONV_PROGRAM_HELPER, "jspawnhelper", "", "gets what it would without the library; it closes the rest itself", 0,
	  "OpenJDK java.base/unix/native/libjava/childproc.c closeDescriptors" },
};

/* noleak_handover_record keeps one digest an entry. */
_Static_assert(sizeof(conventions) / sizeof(conventions[0]) <= NOLEAK_HANDOVER_VARS,
	       "NOLEAK_HANDOVER_VARS is smaller than the conventions table");

size_t noleak_conventions(const struct noleak_convention **table)
{
	*table = conventions;
	return sizeof(conventions) / sizeof(conventions[0]);
}

/* Parse digits in [s, end) into *fd; returns 1 when all of it is a
 * descriptor number >= 3. */
static int span_fd(const char *s, const char *end, int *fd)
{
	long v = parse_fd(s, end);

	if (v < 3)
		return 0;
	*fd = (int)v;
	return 1;
}

static int same(const char *a, const char *b, size_t n, int nocase)
{
	for (size_t i = 0; i < n; i++) {
		char x = a[i], y = b[i];

		if (nocase) {
			x = (char)(x >= 'A' && x <= 'Z' ? x + 32 : x);
			y = (char)(y >= 'A' && y <= 'Z' ? y + 32 : y);
		}
		if (x != y)
			return 0;
	}
	return 1;
}

static int ends_with(const char *s, const char *end, const char *suffix,
		     int nocase)
{
	size_t n = strlen(suffix);

	return (size_t)(end - s) >= n && same(end - n, suffix, n, nocase);
}

static int starts_with(const char *s, const char *end, const char *prefix,
		       int nocase)
{
	size_t n = strlen(prefix);

	return (size_t)(end - s) >= n && same(s, prefix, n, nocase);
}

static void add(struct noleak_fdset *set, int fd)
{
	if (set->n < NOLEAK_FDSET_MAX)
		set->fd[set->n++] = fd;
}

/* The file name of the program in [s, end): what follows the last '/'. */
static int program_is(const char *program, const char *s, const char *end)
{
	for (const char *p = s; p < end; p++)
		if (*p == '/')
			s = p + 1;
	return (size_t)(end - s) == strlen(program) &&
	       !memcmp(s, program, (size_t)(end - s));
}

/* A word of a command: its text, the program it is given to (the file
 * name in argv[0], or of the shell command's first word), and the word
 * before it. */
struct word {
	const char *s, *end;
	const char *prog, *prog_end;
	const char *prev, *prev_end;
};

/* Whether a convention restricted to one program applies to w. */
static int for_program(const struct noleak_convention *c, const struct word *w)
{
	return !(c->flags & NOLEAK_CONV_ONLY) ||
	       (w->prog && program_is(c->program, w->prog, w->prog_end));
}

/* [s, end) without the quotes a shell command may put around it. */
static void unquote(const char **s, const char **end)
{
	while (*end - *s >= 2 && (**s == '\'' || **s == '"') && (*end)[-1] == **s) {
		(*s)++;
		(*end)--;
	}
	while (*s < *end && (**s == '\'' || **s == '"'))
		(*s)++;
	while (*end > *s && ((*end)[-1] == '\'' || (*end)[-1] == '"'))
		(*end)--;
}

/* Past a shell redirection operator at the start of [s, end) ("<",
 * "2>", ">>", "<>", ">|", "&>"), or s itself when there is none. */
static const char *past_redirection(const char *s, const char *end)
{
	const char *p = s;

	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (p < end && *p == '&' && p + 1 < end && p[1] == '>')
		p++;
	if (p == end || (*p != '<' && *p != '>'))
		return s;
	p++;
	if (p < end && (*p == '>' || *p == '<' || *p == '|'))
		p++;
	return p;
}

/* The value of an "=" form in [s, end): what follows the first '=', or
 * NULL. */
static const char *after_equals(const char *s, const char *end)
{
	const char *eq = memchr(s, '=', (size_t)(end - s));

	return eq ? eq + 1 : NULL;
}

/* Whether [s, end) is prefix followed by a descriptor number, which goes
 * into *fd. */
static int prefixed_fd(const char *s, const char *end, const char *prefix,
		       int nocase, int *fd)
{
	unquote(&s, &end);
	return starts_with(s, end, prefix, nocase) &&
	       span_fd(s + strlen(prefix), end, fd);
}

/* An option word: "--status-fd", "-fd", "__OwningControllerFD". */
static int option_named(const struct noleak_convention *c, const char *s,
			const char *end)
{
	unquote(&s, &end);
	if (s == end || (*s != '-' && *s != '_'))
		return 0;
	if (!strcmp(c->name, "fd"))
		return ends_with(s, end, c->name, c->flags & NOLEAK_CONV_NOCASE);
	return (size_t)(end - s) == strlen(c->name) &&
	       same(s, c->name, (size_t)(end - s), c->flags & NOLEAK_CONV_NOCASE);
}

/* "<&5", "3<&5", ">&5", "2>&5-": a shell redirection duplicating
 * descriptor 5. */
static void shell_dup_fds(const char *s, const char *end, struct noleak_fdset *set)
{
	const char *p, *e = end;
	int fd;

	unquote(&s, &e);
	end = e;
	p = past_redirection(s, end);
	if (p == s || (p[-1] != '<' && p[-1] != '>') || p == end || *p != '&')
		return;
	if (e > p + 1 && e[-1] == '-')
		e--;
	if (span_fd(p + 1, e, &fd))
		add(set, fd);
}

/* "5:8", "5:7:9": the JDK helper's argument, numbers joined by colons, all
 * of them or none. */
static void colon_fds(const char *s, const char *end, struct noleak_fdset *set)
{
	struct noleak_fdset found = { 0 };
	int fd;

	if (!memchr(s, ':', (size_t)(end - s)))
		return;
	for (const char *p = s; p <= end;) {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		const char *e = colon ? colon : end;

		if (!span_fd(p, e, &fd))
			return;
		add(&found, fd);
		p = e + 1;
	}
	for (size_t i = 0; i < found.n; i++)
		add(set, found.fd[i]);
}

/* What one word names by one convention. */
static void word_convention(const struct noleak_convention *c,
			    const struct word *w, struct noleak_fdset *set)
{
	int nocase = c->flags & NOLEAK_CONV_NOCASE, fd;
	const char *s = w->s, *end = w->end, *v;

	switch (c->kind) {
	case NOLEAK_CONV_ARG_OPTION:
		/* "--passphrase-fd 5", or "--status-fd=7". */
		if (w->prev && option_named(c, w->prev, w->prev_end) &&
		    prefixed_fd(s, end, "", 0, &fd))
			add(set, fd);
		v = after_equals(s, end);
		if (v && option_named(c, s, v - 1) && prefixed_fd(v, end, "", 0, &fd))
			add(set, fd);
		break;
	case NOLEAK_CONV_ARG_PATH:
		/* "/dev/fd/5" as a word, "</dev/fd/5", "if=/dev/fd/5"; never
		 * inside another path or a URL. */
		unquote(&s, &end);
		if (prefixed_fd(s, end, c->name, nocase, &fd) ||
		    prefixed_fd(past_redirection(s, end), end, c->name, nocase, &fd) ||
		    ((v = after_equals(s, end)) &&
		     prefixed_fd(v, end, c->name, nocase, &fd)))
			add(set, fd);
		break;
	case NOLEAK_CONV_ARG_PREFIX:
		if (prefixed_fd(s, end, c->name, nocase, &fd) ||
		    ((v = after_equals(s, end)) &&
		     prefixed_fd(v, end, c->name, nocase, &fd)))
			add(set, fd);
		break;
	case NOLEAK_CONV_ARG_SHELL_DUP:
		shell_dup_fds(s, end, set);
		break;
	case NOLEAK_CONV_ARG_COLONS:
		colon_fds(s, end, set);
		break;
	default:
		break;
	}
}

static void word_fds(const struct word *w, struct noleak_fdset *set)
{
	for (size_t i = 0; i < sizeof(conventions) / sizeof(conventions[0]); i++) {
		const struct noleak_convention *c = &conventions[i];

		if (c->kind >= NOLEAK_CONV_ARG_FIRST && c->kind <= NOLEAK_CONV_ARG_LAST &&
		    for_program(c, w))
			word_convention(c, w, set);
	}
}

/* Split text into words on white space and look at each; ctx carries the
 * word before and the program across calls. */
static void words_fds(const char *text, struct noleak_fdset *set,
		      struct word *w, int first_is_program)
{
	const char *s = text;

	while (*s) {
		const char *end;

		while (*s && is_space(*s))
			s++;
		if (!*s)
			break;
		for (end = s; *end && !is_space(*end); end++)
			;
		w->s = s;
		w->end = end;
		if (first_is_program && !w->prog) {
			w->prog = s;
			w->prog_end = end;
		}
		word_fds(w, set);
		w->prev = s;
		w->prev_end = end;
		s = end;
	}
}

void noleak_fds_in_command(const char *command, struct noleak_fdset *set)
{
	struct word w = { 0 };

	words_fds(command, set, &w, 1);
}

void noleak_fds_in_args(char *const *argv, struct noleak_fdset *set)
{
	struct word w = { 0 };

	if (!argv || !argv[0])
		return;
	w.prog = argv[0];
	w.prog_end = argv[0] + strlen(argv[0]);
	for (size_t i = 1; argv[i]; i++)
		words_fds(argv[i], set, &w, 0);
}

/* The value of NAME in envp, or NULL. */
static const char *env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; envp && envp[i]; i++)
		if (!strncmp(envp[i], name, n) && envp[i][n] == '=')
			return envp[i] + n + 1;
	return NULL;
}

const struct noleak_handover *noleak_handover_start;

/* FNV-1a over value, never 0.  Equal digests of different values only make
 * a variable the program set look inherited: ignored, never wrongly kept. */
static unsigned long long value_digest(const char *value)
{
	unsigned long long h = 0xcbf29ce484222325ULL;

	for (; *value; value++)
		h = (h ^ (unsigned char)*value) * 0x100000001b3ULL;
	return h ? h : 1;
}

static int is_env(const struct noleak_convention *c)
{
	return c->kind >= NOLEAK_CONV_ENV_FIRST && c->kind <= NOLEAK_CONV_ENV_LAST;
}

void noleak_handover_record(char *const *envp, struct noleak_handover *start)
{
	for (size_t i = 0; i < sizeof(conventions) / sizeof(conventions[0]); i++) {
		const char *v = is_env(&conventions[i]) ?
				env_get(envp, conventions[i].name) : NULL;

		start->digest[i] = v ? value_digest(v) : 0;
	}
}

/* The variable of convention i in envp, unless the process got it, as it
 * is, from whoever started it while noleak_handover_start says to care. */
static const char *handover_get(char *const *envp, size_t i)
{
	const char *v = env_get(envp, conventions[i].name);
	const struct noleak_handover *start = noleak_handover_start;

	if (!v || !start)
		return v;
	return start->digest[i] == value_digest(v) ? NULL : v;
}

/* Every number in value, split by any of seps; "key=N" gives N. */
static void list_fds(const char *value, const char *seps,
		     struct noleak_fdset *set)
{
	while (value && *value) {
		const char *end = value + strcspn(value, seps);
		const char *eq = memchr(value, '=', (size_t)(end - value));
		int fd;

		if (span_fd(eq ? eq + 1 : value, end, &fd))
			add(set, fd);
		value = *end ? end + 1 : end;
	}
}

/* The numbers of the fields "KEY=N" of value whose KEY is one of the
 * space-separated keys; fields are split by ';' and '|' (HAProxy's list
 * of processes). */
static void key_fds(const char *value, const char *keys,
		    struct noleak_fdset *set)
{
	while (value && *value) {
		const char *end = value + strcspn(value, ";|");
		const char *eq = memchr(value, '=', (size_t)(end - value));
		int fd;

		for (const char *k = keys; eq && *k;) {
			size_t n = strcspn(k, " ");

			if ((size_t)(eq - value) == n && !memcmp(value, k, n) &&
			    span_fd(eq + 1, end, &fd))
				add(set, fd);
			k += n;
			k += *k == ' ';
		}
		value = *end ? end + 1 : end;
	}
}

/* "--jobserver-auth=R,W" (or --jobserver-fds) in a MAKEFLAGS-like value:
 * the last one counts, as make and the jobserver crate read it (make
 * 4.4 appends "--jobserver-auth=-2,-2" for commands it gives no
 * jobserver); "fifo:PATH" names no descriptor. */
static void jobserver_fds(const char *m, struct noleak_fdset *set)
{
	int r = -1, w = -1;

	if (!m)
		return;
	while ((m = strstr(m, "--jobserver-")) != NULL) {
		/* The option's own word only: "=R,W" up to a space. */
		const char *end = m + strcspn(m, " ");
		const char *eq = memchr(m, '=', (size_t)(end - m));
		const char *comma = eq ? memchr(eq, ',', (size_t)(end - eq)) : NULL;

		if (!comma || !span_fd(eq + 1, comma, &r) || !span_fd(comma + 1, end, &w))
			r = w = -1;
		m = end;
	}
	if (r >= 0 && w >= 0) {
		add(set, r);
		add(set, w);
	}
}

void noleak_fds_in_env(char *const *envp, long pid, struct noleak_fdset *set)
{
	for (size_t i = 0; i < sizeof(conventions) / sizeof(conventions[0]); i++) {
		const struct noleak_convention *c = &conventions[i];
		const char *v;

		if (!is_env(c) || c->kind == NOLEAK_CONV_ENV_JOBSERVER)
			continue;
		v = handover_get(envp, i);
		if (!v)
			continue;
		if (c->kind == NOLEAK_CONV_ENV_COUNT) {
			/* LISTEN_FDS descriptors from 3, for the process
			 * LISTEN_PID names: pid > 0 is the new program's;
			 * pid < 0 says only that it is not -pid (a child
			 * whose pid is not known yet); 0, not known. */
			long n = parse_fd(v, v + strlen(v));
			const char *lp = env_get(envp, "LISTEN_PID");
			long for_pid = lp ? parse_fd(lp, lp + strlen(lp)) : -1;

			if (n > 0 && n <= NOLEAK_FDSET_MAX &&
			    (!lp || pid == 0 || (pid > 0 && for_pid == pid) ||
			     (pid < 0 && for_pid != -pid)))
				for (int fd = 3; fd < 3 + n; fd++)
					add(set, fd);
		} else if (c->kind == NOLEAK_CONV_ENV_KEYS) {
			key_fds(v, c->syntax, set);
		} else {
			list_fds(v, c->syntax, set);
		}
	}
}

void noleak_fds_in_makeflags(char *const *envp, struct noleak_fdset *set)
{
	for (size_t i = 0; i < sizeof(conventions) / sizeof(conventions[0]); i++)
		if (conventions[i].kind == NOLEAK_CONV_ENV_JOBSERVER)
			jobserver_fds(handover_get(envp, i), set);
}

unsigned noleak_program_rules(const char *name)
{
	unsigned rules = 0;

	for (size_t i = 0; name && i < sizeof(conventions) / sizeof(conventions[0]); i++)
		if (conventions[i].kind >= NOLEAK_CONV_PROGRAM_FIRST &&
		    !strcmp(conventions[i].name, name))
			rules |= 1U << (conventions[i].kind - NOLEAK_CONV_PROGRAM_FIRST);
	return rules;
}

int noleak_fdset_has(const struct noleak_fdset *set, int fd)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->fd[i] == fd)
			return 1;
	return 0;
}

/* ---- the configuration's words and numbers ------------------------- */

int noleak_choose(const char *value, const char *const *names)
{
	for (int i = 0; value && names[i]; i++)
		if (!strcmp(value, names[i]))
			return i;
	return -1;
}

int noleak_log_parse(const char *value, size_t max, const char **why)
{
	*why = NULL;
	if (!value || !*value || !strcmp(value, "stderr"))
		return NOLEAK_LOG_STDERR;
	if (!strcmp(value, "syslog"))
		return NOLEAK_LOG_SYSLOG;
	if (*value != '/')
		*why = "expected stderr, syslog or an absolute path; using stderr";
	else if (strlen(value) >= max)
		*why = "path too long; using stderr";
	return *why ? -1 : NOLEAK_LOG_FILE;
}

long noleak_pid_parse(const char *value)
{
	long v = value ? parse_fd(value, value + strlen(value)) : -1;

	return v > 0 ? v : 0;
}

/* ---- the process scope: taking the shim out of a child's LD_PRELOAD --- */

/* The end of the LD_PRELOAD entry at s: the loader splits the value on
 * spaces and colons. */
static const char *entry_end(const char *s)
{
	while (*s && *s != ' ' && *s != ':')
		s++;
	return s;
}

/* Whether the LD_PRELOAD entry [s, end) is the library called base.
 * Without the C library: the constructor asks it (noleak_preload_names). */
static int is_lib(const char *s, const char *end, const char *base)
{
	const char *name = s;

	for (const char *p = s; p < end; p++)
		if (*p == '/')
			name = p + 1;
	while (name < end && *base && *name == *base)
		name++, base++;
	return name == end && !*base;
}

int noleak_preload_names(const char *value, const char *base)
{
	for (const char *s = value; s && *s;) {
		const char *end = entry_end(s);

		if (end > s && is_lib(s, end, base))
			return 1;
		s = *end ? end + 1 : end;
	}
	return 0;
}

int noleak_env_has_lib(char *const *envp, const char *base)
{
	for (size_t i = 0; envp && envp[i]; i++)
		if (!strncmp(envp[i], "LD_PRELOAD=", 11))
			return noleak_preload_names(envp[i] + 11, base);
	return 0;
}

size_t noleak_env_strip(char *const *envp, const char *base, char **out,
			size_t max, char *buf, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; envp && envp[i] && n + 1 < max; i++) {
		const char *v = envp[i];

		if (!strncmp(v, "LD_PRELOAD=", 11)) {
			const char *s = v + 11;
			size_t used = 11, kept = 0;

			if (len < 12 || strlen(v) >= len) {
				out[n++] = (char *)v;	/* too long: as it was */
				continue;
			}
			memcpy(buf, "LD_PRELOAD=", 11);
			while (*s) {
				const char *end = entry_end(s);

				if (end > s && !is_lib(s, end, base)) {
					if (kept++)
						buf[used++] = ':';
					memcpy(buf + used, s, (size_t)(end - s));
					used += (size_t)(end - s);
				}
				s = *end ? end + 1 : end;
			}
			buf[used] = '\0';
			if (kept)
				out[n++] = buf;
			continue;
		}
		out[n++] = (char *)v;
	}
	out[n] = NULL;
	return n;
}

/* Whether envp entry v is the variable name (given with its '='). */
static int is_var(const char *v, const char *name_eq)
{
	return !strncmp(v, name_eq, strlen(name_eq));
}

/* The length of the name of "NAME=value", '=' included. */
static size_t name_len(const char *v)
{
	const char *eq = strchr(v, '=');

	return eq ? (size_t)(eq - v) + 1 : strlen(v);
}

static int env_has(char *const *envp, const char *var, size_t n)
{
	for (size_t i = 0; envp && envp[i]; i++)
		if (!strncmp(envp[i], var, n))
			return 1;
	return 0;
}

size_t noleak_env_rewrite(char *const *envp, unsigned plan, const char *base,
			  const char *reexec, char *const *carry, char **out,
			  size_t max, char *buf, size_t len)
{
	size_t n = 0, used = 0;

	if (!max)
		return (size_t)-1;
	if (plan & NOLEAK_ENV_STRIP) {
		/* The strip leaves LD_PRELOAD as it was when buf is too small. */
		n = noleak_env_strip(envp, base, out, max, buf, len);
		for (size_t i = 0; i < n; i++)
			if (out[i] == buf)
				used = strlen(buf) + 1;
	} else {
		for (; envp && envp[n]; n++) {
			if (n + 1 >= max)
				return (size_t)-1;
			out[n] = envp[n];
		}
		out[n] = NULL;
	}
	/* Out with what is replaced: the owner (a new program that finds no
	 * _NOLEAK_PID is its own), an old list of re-marked descriptors. */
	for (size_t i = 0; i < n;) {
		if (((plan & NOLEAK_ENV_OWNER) && is_var(out[i], "_NOLEAK_PID=")) ||
		    is_var(out[i], "_NOLEAK_REEXEC=")) {
			memmove(out + i, out + i + 1, (n - i) * sizeof(char *));
			n--;
		} else {
			i++;
		}
	}
	if ((plan & NOLEAK_ENV_REEXEC) && reexec) {
		size_t need = strlen("_NOLEAK_REEXEC=") + strlen(reexec) + 1;

		if (n + 2 > max || used + need > len)
			return (size_t)-1;
		memcpy(buf + used, "_NOLEAK_REEXEC=", 15);
		memcpy(buf + used + 15, reexec, need - 15);
		out[n++] = buf + used;
		out[n] = NULL;
		used += need;
	}
	for (size_t i = 0; (plan & NOLEAK_ENV_CARRY) && carry && carry[i]; i++) {
		if (env_has(out, carry[i], name_len(carry[i])))
			continue;
		if (n + 2 > max)
			return (size_t)-1;
		out[n++] = carry[i];
		out[n] = NULL;
	}
	return n;
}

NOLEAK_AT_LOAD unsigned long long noleak_args_digest(char *const *argv)
{
	unsigned long long h = 0xcbf29ce484222325ULL;

	for (size_t i = 1; argv && argv[0] && argv[i]; i++) {
		for (const char *c = argv[i]; *c; c++)
			h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
		h = (h ^ 0xff) * 0x100000001b3ULL;	/* between words */
	}
	return h ? h : 1;
}

/* ---- the configuration file ------------------------------------------ */

/* [s, end) without the blanks around it. */
static void trim(const char **s, const char **end)
{
	while (*s < *end && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*end > *s && ((*end)[-1] == ' ' || (*end)[-1] == '\t' ||
			     (*end)[-1] == '\r'))
		(*end)--;
}

/* A section line, "[PATH]": whether it is one, and whether it names exe
 * (*mine).  *why is set when it is malformed. */
static int conf_section(const char *s, const char *end, const char *exe,
			int *mine, const char **why)
{
	if (*s != '[')
		return 0;
	*mine = 0;
	if (end[-1] != ']' || end - s < 3 || s[1] != '/') {
		*why = "a section is [/absolute/path/of/a/program]";
		return 1;
	}
	*mine = exe && (size_t)(end - s - 2) == strlen(exe) &&
		!memcmp(s + 1, exe, (size_t)(end - s - 2));
	return 1;
}

/* One line: a comment, a blank, a section or "key = value". */
static void conf_line(struct noleak_conf_line *l, const char *s, const char *end,
		      const char *exe, int *mine, noleak_conf_fn *fn, void *ctx)
{
	const char *eq, *why = NULL, *key_end, *value;

	trim(&s, &end);
	if (s == end || *s == '#')
		return;
	l->key = s;
	l->key_len = (size_t)(end - s);
	l->value = end;
	l->value_len = 0;
	if (conf_section(s, end, exe, mine, &why)) {
		l->section = 1;
		if (why)
			fn(ctx, l, why);
		return;
	}
	eq = memchr(s, '=', (size_t)(end - s));
	if (!eq) {
		fn(ctx, l, "expected KEY = VALUE, [/path/of/a/program] or a # comment");
		return;
	}
	if (!*mine)
		return;
	key_end = eq;
	value = eq + 1;
	trim(&s, &key_end);
	trim(&value, &end);
	l->key = s;
	l->key_len = (size_t)(key_end - s);
	l->value = value;
	l->value_len = (size_t)(end - value);
	fn(ctx, l, l->key_len ? NULL : "the key before '=' is empty");
}

void noleak_conf_walk(const char *text, size_t len, const char *exe,
		      noleak_conf_fn *fn, void *ctx)
{
	const char *s = text, *end = text + len;
	struct noleak_conf_line l = { 0, NULL, 0, NULL, 0, 0 };
	int mine = 1;	/* lines before the first section are everyone's */

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *stop = nl ? nl : end;

		l.line++;
		conf_line(&l, s, stop, exe, &mine, fn, ctx);
		s = stop + 1;
	}
}
