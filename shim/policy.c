/* policy.c: the shim's pure decisions.
 *
 * Nothing here touches a descriptor, the environment or global state (but
 * for reading noleak_handover_start, set once at start-up), so every
 * function can be unit-tested without preloading (tests/check_policy.c) and
 * is safe to call from the async-signal-safe zone. */
#include "noleak.h"

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

static int ends_with(const char *s, const char *end, const char *suffix)
{
	size_t n = strlen(suffix);

	return (size_t)(end - s) >= n && !memcmp(end - n, suffix, n);
}

static int starts_with(const char *s, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - s) >= n && !memcmp(s, prefix, n);
}

/* Options whose value is a descriptor number though their name does not
 * end in "fd" (dbus-launch, dbus-daemon). */
static int fd_option(const char *s, const char *end)
{
	return ends_with(s, end, "-fd") || ends_with(s, end, "fd") ||
	       ends_with(s, end, "--print-address") ||
	       ends_with(s, end, "--print-pid");
}

static void add(struct noleak_fdset *set, int fd)
{
	if (set->n < NOLEAK_FDSET_MAX)
		set->fd[set->n++] = fd;
}

/* One word of a command line.  prev is the word before it, or NULL. */
static void word_fds(const char *s, const char *end, const char *ps,
		     const char *pend, struct noleak_fdset *set)
{
	const char *p;
	int fd, fd2;

	/* "--passphrase-fd 5": a number right after an fd option. */
	if (ps && fd_option(ps, pend) && span_fd(s, end, &fd)) {
		add(set, fd);
		return;
	}
	/* "/dev/fd/5", "/proc/self/fd/5", anywhere in the word. */
	for (p = s; p < end; p++) {
		const char *q = NULL;

		if (starts_with(p, end, "/dev/fd/"))
			q = p + 8;
		else if (starts_with(p, end, "/proc/self/fd/"))
			q = p + 14;
		if (q) {
			const char *e = q;

			while (e < end && *e >= '0' && *e <= '9')
				e++;
			if (span_fd(q, e, &fd))
				add(set, fd);
		}
	}
	/* "--status-fd=5", "fd:5" (openssl -pass fd:5). */
	p = memchr(s, '=', (size_t)(end - s));
	if (p && fd_option(s, p) && span_fd(p + 1, end, &fd)) {
		add(set, fd);
		return;
	}
	if (starts_with(s, end, "fd:") && span_fd(s + 3, end, &fd)) {
		add(set, fd);
		return;
	}
	/* "5:8", "5:7:9": numbers joined by colons, the JDK's jspawnhelper
	 * argument (two of them before JDK 17.0.15, three since). */
	if (memchr(s, ':', (size_t)(end - s))) {
		struct noleak_fdset found = { 0 };

		for (p = s; p <= end;) {
			const char *colon = memchr(p, ':', (size_t)(end - p));
			const char *e = colon ? colon : end;

			if (!span_fd(p, e, &fd2))
				return;
			add(&found, fd2);
			p = e + 1;
		}
		for (size_t i = 0; i < found.n; i++)
			add(set, found.fd[i]);
	}
}

void noleak_fds_in_words(const char *text, struct noleak_fdset *set,
			 const char **prev, const char **prev_end)
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
		word_fds(s, end, *prev, *prev_end, set);
		*prev = s;
		*prev_end = end;
		s = end;
	}
}

void noleak_fds_in_args(char *const *argv, struct noleak_fdset *set)
{
	const char *prev = NULL, *prev_end = NULL;

	for (size_t i = 0; argv && argv[i]; i++)
		noleak_fds_in_words(argv[i], set, &prev, &prev_end);
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

/* The variables that hand descriptors over by number. */
static const char *const handover_names[NOLEAK_HANDOVER_VARS] = {
	"LISTEN_FDS", "NGINX", "UNICORN_FD", "SERVER_STARTER_PORT",
	"WAYLAND_SOCKET", "BASH_XTRACEFD", "MAKEFLAGS", "MFLAGS",
};

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

void noleak_handover_record(char *const *envp, struct noleak_handover *start)
{
	for (size_t i = 0; i < NOLEAK_HANDOVER_VARS; i++) {
		const char *v = env_get(envp, handover_names[i]);

		start->digest[i] = v ? value_digest(v) : 0;
	}
}

/* A hand-over variable of envp, unless the process got it, as it is, from
 * whoever started it while noleak_handover_start says to care. */
static const char *handover_get(char *const *envp, const char *name)
{
	const char *v = env_get(envp, name);
	const struct noleak_handover *start = noleak_handover_start;

	if (!v || !start)
		return v;
	for (size_t i = 0; i < NOLEAK_HANDOVER_VARS; i++)
		if (!strcmp(name, handover_names[i]))
			return start->digest[i] == value_digest(v) ? NULL : v;
	return v;
}

/* Every number in value, split by any of seps; "port=fd" pairs give fd. */
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

void noleak_fds_in_env(char *const *envp, long pid, struct noleak_fdset *set)
{
	const char *v;

	/* systemd socket activation: LISTEN_FDS descriptors from 3, for the
	 * process LISTEN_PID names (pid 0: not known yet, as for spawn). */
	v = handover_get(envp, "LISTEN_FDS");
	if (v) {
		long n = parse_fd(v, v + strlen(v));
		const char *lp = env_get(envp, "LISTEN_PID");
		long for_pid = lp ? parse_fd(lp, lp + strlen(lp)) : -1;

		if (n > 0 && n <= NOLEAK_FDSET_MAX &&
		    (!lp || pid == 0 || for_pid == pid))
			for (int fd = 3; fd < 3 + n; fd++)
				add(set, fd);
	}
	/* nginx binary upgrade: NGINX="fd;fd;" (':' in old versions). */
	list_fds(handover_get(envp, "NGINX"), ";:", set);
	/* unicorn, rainbows: UNICORN_FD="fd,fd". */
	list_fds(handover_get(envp, "UNICORN_FD"), ",", set);
	/* Server::Starter: SERVER_STARTER_PORT="port=fd;port=fd". */
	list_fds(handover_get(envp, "SERVER_STARTER_PORT"), ";", set);
	/* Wayland clients, bash's xtrace: one number each. */
	list_fds(handover_get(envp, "WAYLAND_SOCKET"), "", set);
	list_fds(handover_get(envp, "BASH_XTRACEFD"), "", set);
}

void noleak_fds_in_makeflags(char *const *envp, struct noleak_fdset *set)
{
	static const char *const makevars[] = { "MAKEFLAGS", "MFLAGS" };

	/* --jobserver-auth=R,W (--jobserver-fds before make 4.2); a
	 * fifo:PATH names no descriptor. */
	for (size_t i = 0; i < 2; i++) {
		const char *m = handover_get(envp, makevars[i]);

		if (!m)
			continue;
		while ((m = strstr(m, "--jobserver-")) != NULL) {
			/* The option's own word only: "=R,W" up to a space. */
			const char *end = m + strcspn(m, " ");
			const char *eq = memchr(m, '=', (size_t)(end - m));
			const char *comma = eq ? memchr(eq, ',', (size_t)(end - eq)) : NULL;
			int r, w;

			if (comma && span_fd(eq + 1, comma, &r) &&
			    span_fd(comma + 1, end, &w)) {
				add(set, r);
				add(set, w);
			}
			m = end;
		}
	}
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

/* Whether the LD_PRELOAD entry [s, end) is the library called base. */
static int is_lib(const char *s, const char *end, const char *base)
{
	const char *slash = s;

	for (const char *p = s; p < end; p++)
		if (*p == '/')
			slash = p + 1;
	return (size_t)(end - slash) == strlen(base) &&
	       !memcmp(slash, base, (size_t)(end - slash));
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
				const char *end = s + strcspn(s, " :");

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
