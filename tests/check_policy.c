/* SPDX-License-Identifier: MIT */
/* check_policy.c: the shim's pure logic, without any preloading. */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "noleak.h"
#include "testing.h"

struct complaints {
	int n;
	char last[128];
	char why[128];
};

static void collect(void *ctx, const char *entry, size_t len, const char *why)
{
	struct complaints *c = ctx;

	c->n++;
	snprintf(c->last, sizeof(c->last), "%.*s", (int)len, entry);
	snprintf(c->why, sizeof(c->why), "%s", why);
}

START_TEST(keep_resources)
{
	struct noleak_keep k = { 0 };
	struct complaints c = { 0 };
	const unsigned char lo[4] = { 127, 0, 0, 1 };

	ck_assert_uint_eq(noleak_keep_parse("tcp:8080, udp:127.0.0.1:53,tcp:[::1]:443,"
					    "unix:/run/x.sock,path:/var/log/*.log,4",
					    &k, collect, &c), 0);
	ck_assert_uint_eq(k.nres, 5);
	ck_assert_uint_eq(k.n, 1);
	ck_assert(k.res[0].kind == NOLEAK_RES_TCP && k.res[0].port == 8080 &&
		  k.res[0].family == 0);
	ck_assert(k.res[1].kind == NOLEAK_RES_UDP && k.res[1].port == 53 &&
		  k.res[1].family == AF_INET && !memcmp(k.res[1].addr, lo, 4));
	ck_assert(k.res[2].family == AF_INET6 && k.res[2].addr[15] == 1 &&
		  k.res[2].port == 443);
	ck_assert(k.res[3].kind == NOLEAK_RES_UNIX);
	ck_assert_str_eq(k.res[3].text, "/run/x.sock");
	ck_assert(k.res[4].kind == NOLEAK_RES_PATH);
	ck_assert_str_eq(k.res[4].text, "/var/log/*.log");
}
END_TEST

static const struct {
	const char *entry, *why;
} bad_resources[] = {
	{ "tcp:0", "expected a port from 1 to 65535" },
	{ "tcp:65536", "expected a port from 1 to 65535" },
	{ "udp:http", "expected a port from 1 to 65535" },
	{ "tcp:", "expected a port from 1 to 65535" },
	{ "tcp:1.2.3:80", "not an IPv4 address" },
	{ "tcp:[::g]:80", "not an IPv6 address" },
	{ "tcp:127.0.0.1:", "expected a port from 1 to 65535 after the address" },
	{ "unix:run/x.sock", "expected an absolute socket path after unix:" },
	{ "path:", "expected a path or pattern after path:" },
};

START_TEST(keep_bad_resources_are_named)
{
	struct noleak_keep k = { 0 };
	struct complaints c = { 0 };

	ck_assert_uint_eq(noleak_keep_parse(bad_resources[_i].entry, &k, collect, &c), 1);
	ck_assert_str_eq(c.last, bad_resources[_i].entry);
	ck_assert_str_eq(c.why, bad_resources[_i].why);
	ck_assert_uint_eq(k.nres + k.n, 0);
}
END_TEST

START_TEST(keep_numbers_can_be_skipped)
{
	struct noleak_keep k = { .no_numbers = 1 };
	struct complaints c = { 0 };

	ck_assert_uint_eq(noleak_keep_parse("3,7-9,tcp:80", &k, collect, &c), 0);
	ck_assert_uint_eq(k.n, 0);
	ck_assert_uint_eq(k.nres, 1);
}
END_TEST

static const struct {
	const char *pattern, *text;
	int match;
} globs[] = {
	{ "/var/log/*.log", "/var/log/app.log", 1 },
	{ "/var/log/*.log", "/var/log/app.log.1", 0 },
	{ "/var/log/*", "/var/log/a/b", 1 },
	{ "/tmp/?.lock", "/tmp/a.lock", 1 },
	{ "/tmp/?.lock", "/tmp/ab.lock", 0 },
	{ "/a*b*c", "/aXXbYYc", 1 },
	{ "/a*b*c", "/aXXbYY", 0 },
	{ "/x\\*", "/x*", 1 },
	{ "/x\\*", "/xy", 0 },
	{ "*", "", 1 },
	{ "/exact", "/exact", 1 },
	{ "/exact", "/exactly", 0 },
};

START_TEST(glob_matches_like_the_shell)
{
	ck_assert_msg(noleak_glob_match(globs[_i].pattern, globs[_i].text) == globs[_i].match,
		      "%s ~ %s", globs[_i].pattern, globs[_i].text);
}
END_TEST

START_TEST(keep_numbers_and_ranges)
{
	struct noleak_keep k = { 0 };
	struct complaints c = { 0 };

	ck_assert_uint_eq(noleak_keep_parse("3,7-9", &k, collect, &c), 0);
	ck_assert_int_eq(c.n, 0);
	ck_assert_uint_eq(k.n, 2);
	ck_assert(noleak_keep_has(&k, 3));
	ck_assert(!noleak_keep_has(&k, 4));
	ck_assert(noleak_keep_has(&k, 7));
	ck_assert(noleak_keep_has(&k, 9));
	ck_assert(!noleak_keep_has(&k, 10));
}
END_TEST

START_TEST(keep_tolerates_spaces_and_empty_entries)
{
	struct noleak_keep k = { 0 };

	ck_assert_uint_eq(noleak_keep_parse(" 5 ,, 10-12 ,", &k, NULL, NULL), 0);
	ck_assert_uint_eq(k.n, 2);
	ck_assert(noleak_keep_has(&k, 5));
	ck_assert(noleak_keep_has(&k, 11));
}
END_TEST

static const struct {
	const char *entry, *why;
} bad_entries[] = {
	{ "abc", "not a descriptor number or range N-M" },
	{ "-3", "not a descriptor number or range N-M" },
	{ "3-", "not a descriptor number or range N-M" },
	{ "1-2-3", "not a descriptor number or range N-M" },
	{ "+4", "not a descriptor number or range N-M" },
	{ "9-4", "range runs backwards" },
	{ "2147483648", "not a descriptor number or range N-M" },
	{ "99999999999999999999", "not a descriptor number or range N-M" },
	{ "0x10", "not a descriptor number or range N-M" },
};

START_TEST(keep_bad_entry_is_reported_and_skipped)
{
	struct noleak_keep k = { 0 };
	struct complaints c = { 0 };
	char spec[128];

	snprintf(spec, sizeof(spec), "4,%s,6", bad_entries[_i].entry);
	ck_assert_uint_eq(noleak_keep_parse(spec, &k, collect, &c), 1);
	ck_assert_int_eq(c.n, 1);
	ck_assert_str_eq(c.last, bad_entries[_i].entry);
	ck_assert_str_eq(c.why, bad_entries[_i].why);
	ck_assert_uint_eq(k.n, 2);
	ck_assert(noleak_keep_has(&k, 4) && noleak_keep_has(&k, 6));
}
END_TEST

START_TEST(keep_limits_entries)
{
	struct noleak_keep k = { 0 };
	struct complaints c = { 0 };
	char spec[1024] = "";

	for (int i = 0; i < NOLEAK_KEEP_MAX + 3; i++)
		snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec),
			 "%d,", 100 + i);
	ck_assert_uint_eq(noleak_keep_parse(spec, &k, collect, &c), 3);
	ck_assert_uint_eq(k.n, NOLEAK_KEEP_MAX);
	ck_assert_str_eq(c.why, "too many entries");
}
END_TEST

START_TEST(keep_survives_random_bytes)
{
	struct noleak_keep k = { 0 };
	char spec[3001];

	srand(7);
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof(spec) - 1; i++)
			spec[i] = (char)(1 + rand() % 255);
		spec[sizeof(spec) - 1] = '\0';
		k.n = 0;
		noleak_keep_parse(spec, &k, NULL, NULL);
		ck_assert_uint_le(k.n, NOLEAK_KEEP_MAX);
	}
}
END_TEST

static const struct {
	const char *in, *out;
} modes[] = {
	{ "r", "re" }, { "w", "we" }, { "r+", "re+" }, { "a+b", "ae+b" },
	{ "re", "re" }, { "rbe", "rbe" }, { "w,ccs=UTF-8", "we,ccs=UTF-8" },
	{ "r,ccs=e", "re,ccs=e" }, { "", "" },
};

START_TEST(mode_gets_e_once)
{
	char buf[64];

	ck_assert_str_eq(noleak_mode_cloexec(modes[_i].in, buf, sizeof(buf)),
			 modes[_i].out);
}
END_TEST

START_TEST(mode_too_long_is_left_alone)
{
	char buf[4];
	const char *m = "rb+x";

	ck_assert_ptr_eq(noleak_mode_cloexec(m, buf, sizeof(buf)), m);
	ck_assert_ptr_null(noleak_mode_cloexec(NULL, buf, sizeof(buf)));
}
END_TEST

/* glibc reads flags from the six characters after the first: an 'e' put
 * in front must not push a flag out of them. */
START_TEST(mode_keeps_glibc_flags)
{
	char buf[64];
	const char *m = "wbbbbbx";

	ck_assert_ptr_eq(noleak_mode_cloexec(m, buf, sizeof(buf)), m);
	ck_assert_str_eq(noleak_mode_cloexec("rbbbbbz", buf, sizeof(buf)),
			 "rebbbbbz");
	ck_assert_int_eq(noleak_mode_has_cloexec("re"), 1);
	ck_assert_int_eq(noleak_mode_has_cloexec("r,ccs=e"), 1);
	ck_assert_int_eq(noleak_mode_has_cloexec("rbbbbbbe"), 0);
	ck_assert_int_eq(noleak_mode_has_cloexec("r"), 0);
	ck_assert_int_eq(noleak_mode_has_cloexec(""), 0);
	ck_assert_int_eq(noleak_mode_has_cloexec(NULL), 0);
}
END_TEST

/* Intent belongs to the descriptor, not to its number: a close through
 * the library, or a new descriptor made on the number, forgets it. */
START_TEST(intent_follows_the_descriptor)
{
	int fd = open("/dev/null", O_RDONLY);

	ck_assert_int_ge(fd, 3);
	noleak_table_own(getpid());
	ck_assert(!noleak_intent_has(fd));
	noleak_intent_keep(fd);
	ck_assert(noleak_intent_has(fd));
	noleak_fd_closed(fd);
	close(fd);
	ck_assert(!noleak_intent_has(fd));

	noleak_intent_keep(fd);
	noleak_track_new(fd, 1);		/* made anew on the number */
	ck_assert(!noleak_intent_has(fd));
	ck_assert(noleak_added_test(fd));
	noleak_intent_keep(fd);
	noleak_intent_drop(fd);
	ck_assert(!noleak_intent_has(fd));
	noleak_fd_closed(fd);
	ck_assert(!noleak_added_test(fd));
}
END_TEST

/* A process that does not own the records (a vfork child shares them)
 * never forgets its owner's intent. */
START_TEST(intent_kept_from_a_vfork_child)
{
	int fd = 40;

	noleak_table_own(getpid() + 1);		/* not us */
	noleak_intent_keep(fd);
	noleak_fd_closed(fd);
	noleak_intent_drop_range(30, 50);
	ck_assert(noleak_intent_has(fd));
	noleak_table_own(getpid());
	noleak_fds_closed(30, 50);
	ck_assert(!noleak_intent_has(fd));
}
END_TEST

/* What the shim added holds for the descriptor it added it on. */
START_TEST(added_bits)
{
	int fd = open("/dev/null", O_RDONLY), other;

	ck_assert_int_ge(fd, 3);
	ck_assert(!noleak_added_test(fd));
	noleak_added_set(fd, 1);
	ck_assert(noleak_added_test(fd));
	ck_assert(!noleak_added_test(fd + 1));
	noleak_added_set(fd, 0);
	ck_assert(!noleak_added_test(fd));
	noleak_added_set(fd, 1);
	noleak_fd_closed(fd);
	close(fd);
	ck_assert(!noleak_added_test(fd));		/* closed */
	other = open("/etc/hostname", O_RDONLY);	/* the number, reused */
	ck_assert_int_eq(other, fd);
	ck_assert(!noleak_added_test(fd));
	close(other);
	noleak_added_set(NOLEAK_ADDED_MAX + 5, 1);	/* out of range: ignored */
	ck_assert(!noleak_added_test(NOLEAK_ADDED_MAX + 5));
	ck_assert(!noleak_added_test(-1));
	noleak_intent_drop_range(0, 10);		/* the program's own flags */
	noleak_added_set(7, 1);
	noleak_intent_drop_range(5, 9);
	ck_assert(!noleak_added_test(7));
}
END_TEST

/* Much intent, and a sweep still marks everything else. */
START_TEST(intent_many_keeps_sweeping)
{
	enum { N = 300 };
	int fds[N], stray;

	noleak_table_own(getpid());
	for (int i = 0; i < N; i++) {
		fds[i] = open("/dev/null", O_RDONLY);
		ck_assert_int_ge(fds[i], 3);
		noleak_intent_keep(fds[i]);
	}
	stray = open("/dev/null", O_RDONLY);
	noleak_sweep(NULL, NULL);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(fcntl(fds[i], F_GETFD), 0);
	ck_assert_int_eq(fcntl(stray, F_GETFD), FD_CLOEXEC);
	for (int i = 0; i < N; i++) {
		noleak_fd_closed(fds[i]);
		close(fds[i]);
	}
	noleak_fd_closed(stray);
	close(stray);
}
END_TEST

/* Under secure execution a hand-over variable counts only if the program
 * set or changed it itself. */
START_TEST(handover_inherited_is_ignored)
{
	char *start[] = { "LISTEN_FDS=1", "NGINX=5;", "MAKEFLAGS= --jobserver-auth=7,8", NULL };
	char *same[] = { "LISTEN_FDS=1", "NGINX=5;", "MAKEFLAGS= --jobserver-auth=7,8", NULL };
	char *changed[] = { "LISTEN_FDS=2", "NGINX=5;", "UNICORN_FD=9", NULL };
	struct noleak_handover h;
	struct noleak_fdset set = { 0 };

	noleak_handover_record(start, &h);
	noleak_handover_start = &h;
	noleak_fds_in_env(same, 0, &set);
	noleak_fds_in_makeflags(same, &set);
	ck_assert_uint_eq(set.n, 0);
	noleak_fds_in_env(changed, 0, &set);
	noleak_handover_start = NULL;
	ck_assert_uint_eq(set.n, 3);	/* 3 and 4 (changed), 9 (new) */
	ck_assert(noleak_fdset_has(&set, 4) && noleak_fdset_has(&set, 9));
	ck_assert(!noleak_fdset_has(&set, 5));
}
END_TEST

/* The sweep marks strays, keeps what it is told to, and closes nothing. */
START_TEST(sweep_marks_and_keeps)
{
	struct noleak_keep k = { 0 };
	int a = open("/dev/null", O_RDONLY);
	int b = open("/dev/null", O_RDONLY);
	int c = open("/dev/null", O_RDONLY);
	char spec[16];

	ck_assert(a >= 3 && b > a && c > b);
	snprintf(spec, sizeof(spec), "%d", b);
	struct noleak_fdset named = { 1, { c } };

	noleak_keep_parse(spec, &k, NULL, NULL);
	noleak_sweep(&k, &named);
	ck_assert_int_eq(fcntl(a, F_GETFD), FD_CLOEXEC);
	ck_assert_int_eq(fcntl(b, F_GETFD), 0);
	ck_assert_int_eq(fcntl(c, F_GETFD), 0);
	ck_assert_int_eq(fcntl(0, F_GETFD) & FD_CLOEXEC, 0);
	close(a);
	close(b);
	close(c);
}
END_TEST

/* Each way of sweeping gives the same result. */
START_TEST(sweep_fallbacks_agree)
{
	struct noleak_keep k = { 0 };
	int fds[6], saved = noleak_close_range_fails;
	enum noleak_sweep_how how;

	for (int i = 0; i < 6; i++)
		fds[i] = open("/dev/null", O_RDONLY);
	dup2(fds[0], 200);
	noleak_keep_parse("200", &k, NULL, NULL);
	noleak_close_range_fails = _i != 0;
	how = noleak_sweep(&k, NULL);
	noleak_close_range_fails = saved;
	if (_i == 0)
		ck_assert_int_eq(how, NOLEAK_SWEEP_CLOSE_RANGE);
	else
		ck_assert_int_eq(how, NOLEAK_SWEEP_PROC);
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(fcntl(fds[i], F_GETFD), FD_CLOEXEC);
		close(fds[i]);
	}
	ck_assert_int_eq(fcntl(200, F_GETFD), 0);
	close(200);
}
END_TEST

/* A shim-added close-on-exec on a kept descriptor is taken off; one the
 * program set is not. */
START_TEST(sweep_undoes_only_its_own_flag)
{
	struct noleak_keep k = { 0 };
	int mine = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int theirs = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char spec[32];

	noleak_added_set(mine, 1);
	noleak_added_set(theirs, 0);
	snprintf(spec, sizeof(spec), "%d,%d", mine, theirs);
	noleak_keep_parse(spec, &k, NULL, NULL);
	noleak_sweep(&k, NULL);
	ck_assert_int_eq(fcntl(mine, F_GETFD), 0);
	ck_assert_int_eq(fcntl(theirs, F_GETFD), FD_CLOEXEC);
	close(mine);
	close(theirs);
}
END_TEST

/* The sweep may run in a vfork child on a small stack: it must use a small,
 * bounded amount of it whatever it is told to keep.  Measured by painting
 * the stack below a thread's frame and finding the deepest byte changed. */
#ifdef __SANITIZE_ADDRESS__	/* instrumented frames are larger */
enum { SWEEP_STACK_MAX = 4096 };
#else
enum { SWEEP_STACK_MAX = 1024 };
#endif
enum { STACK_PAINT = 64 * 1024, STACK_SKIP = 256 };

struct stack_probe {
	int close_range;
	const struct noleak_keep *keep;
	const struct noleak_fdset *named;
	long used;
};

static void *measure_sweep(void *arg)
{
	struct stack_probe *p = arg;
	volatile unsigned char *top = __builtin_frame_address(0);
	long i;

	for (i = STACK_SKIP; i < STACK_PAINT; i++)
		top[-i] = 0xa5;
	noleak_close_range_fails = !p->close_range;
	noleak_sweep(p->keep, p->named);
	for (i = STACK_PAINT - 1; i >= STACK_SKIP && top[-i] == 0xa5; i--)
		;
	p->used = i;
	return NULL;
}

START_TEST(sweep_stack_is_small)
{
	struct noleak_keep k = { 0 };
	struct noleak_fdset named = { 0 };
	struct stack_probe p = { _i == 0, &k, &named, 0 };
	pthread_attr_t attr;
	pthread_t t;
	int saved = noleak_close_range_fails;
	char spec[16];

	for (int i = 0; i < NOLEAK_KEEP_MAX; i++) {
		snprintf(spec, sizeof(spec), "%d", 1000 + 3 * i);
		noleak_keep_parse(spec, &k, NULL, NULL);
	}
	for (int i = 0; i < NOLEAK_FDSET_MAX; i++)
		named.fd[named.n++] = 2000 + 3 * i;
	for (int i = 0; i < 16; i++) {
		int fd = open("/dev/null", O_RDONLY);

		noleak_added_set(fd, 1);
		noleak_intent_keep(fd);
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 4 * STACK_PAINT);
	ck_assert_int_eq(pthread_create(&t, &attr, measure_sweep, &p), 0);
	pthread_join(t, NULL);
	noleak_close_range_fails = saved;
	fprintf(stderr, "# noleak_sweep (%s): %ld bytes of stack\n",
		_i == 0 ? "close_range" : "/proc/self/fd", p.used);
	ck_assert_int_le(p.used, SWEEP_STACK_MAX);
}
END_TEST

/* Descriptors a command line names on purpose, and numbers that only look
 * like them. */
static const struct {
	const char *args[8];
	int fds[3];
} named_args[] = {
	{ { "gpg", "--passphrase-fd", "5", "--batch" }, { 5 } },
	{ { "gpg", "--status-fd=7" }, { 7 } },
	{ { "openssl", "enc", "-pass", "fd:9" }, { 9 } },
	{ { "cat", "/dev/fd/63" }, { 63 } },
	{ { "cmp", "/proc/self/fd/4", "x" }, { 4 } },
	{ { "jspawnhelper", "5:8" }, { 5, 8 } },
	{ { "jspawnhelper", "5:7:9" }, { 5, 7, 9 } },
	{ { "x", "5:7:y" }, { 0 } },
	{ { "dbus-daemon", "--print-address", "6" }, { 6 } },
	{ { "sh", "-c", "gpg --passphrase-fd 5 -d x" }, { 5 } },
	{ { "sleep", "0.05" }, { 0 } },
	{ { "sleep", "5" }, { 0 } },
	{ { "head", "-n", "5", "file:5" }, { 0 } },
	{ { "x", "--passphrase-fd", "2" }, { 0 } },
	{ { "x", "1:2" }, { 0 } },
	/* Data that only looks like a descriptor. */
	{ { "at", "14:05" }, { 0 } },
	{ { "ffmpeg", "-ss", "10:05", "-i", "x" }, { 0 } },
	{ { "curl", "http://example.com/dev/fd/5" }, { 0 } },
	{ { "ls", "/srv/proc/self/fd/5" }, { 0 } },
	{ { "tar", "backupfd", "5" }, { 0 } },
	{ { "jspawnhelper", "17.0.19", "5:7:9" }, { 5, 7, 9 } },
	/* The conventions of the table. */
	{ { "gpg", "--PASSPHRASE-FD", "5" }, { 5 } },
	{ { "gpg", "--enable-special-filenames", "-&6" }, { 6 } },
	{ { "haproxy", "-W", "-x", "sockpair@7" }, { 7 } },
	{ { "uwsgi", "--socket", "fd://8" }, { 8 } },
	{ { "socat", "FD:9", "-" }, { 9 } },
	{ { "bwrap", "--args", "10", "--file", "11", "/x" }, { 10, 11 } },
	{ { "x", "--args", "10" }, { 0 } },
	{ { "dd", "if=/dev/fd/5" }, { 5 } },
	{ { "sh", "-c", "cat </dev/fd/5 2>/proc/self/fd/6" }, { 5, 6 } },
	{ { "sh", "-c", "cat <&5 3>&7- 2>&1" }, { 5, 7 } },
	{ { "sh", "-c", "cat '/dev/fd/5'" }, { 5 } },
	{ { "sh", "-c", "curl http://x/dev/fd/5" }, { 0 } },
};

START_TEST(fds_named_in_arguments)
{
	struct noleak_fdset set = { 0 };
	size_t want = 0;

	noleak_fds_in_args((char *const *)named_args[_i].args, &set);
	for (; want < 3 && named_args[_i].fds[want]; want++)
		ck_assert_msg(noleak_fdset_has(&set, named_args[_i].fds[want]),
			      "case %d: fd %d not found", _i,
			      named_args[_i].fds[want]);
	ck_assert_uint_eq(set.n, want);
}
END_TEST

START_TEST(fds_named_in_environment)
{
	char *env[] = {
		"LISTEN_FDS=2", "LISTEN_PID=1234", "NGINX=8;9;",
		"MAKEFLAGS= -j4 --jobserver-auth=11,12", "UNICORN_FD=13,14",
		"SERVER_STARTER_PORT=127.0.0.1:80=15;443=16", "PATH=/bin", NULL
	};
	int want[] = { 3, 4, 8, 9, 13, 14, 15, 16 };
	struct noleak_fdset set = { 0 };

	noleak_fds_in_env(env, 1234, &set);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(noleak_fdset_has(&set, want[i]), "fd %d", want[i]);
	ck_assert_uint_eq(set.n, sizeof(want) / sizeof(want[0]));

	/* LISTEN_FDS for another process: not ours to pass. */
	set.n = 0;
	noleak_fds_in_env(env, 999, &set);
	ck_assert(!noleak_fdset_has(&set, 3));
}
END_TEST

START_TEST(fds_named_in_garbage)
{
	char *env[] = { "LISTEN_FDS=-1", "NGINX=;;x;-3;", "MAKEFLAGS=--jobserver-auth=",
			"MFLAGS=--jobserver-fds=a,b --jobserver-auth=fifo:/x",
			"LISTEN_FDS=99999999999", NULL };
	struct noleak_fdset set = { 0 };

	noleak_fds_in_env(env, 1, &set);
	noleak_fds_in_makeflags(env, &set);
	ck_assert_uint_eq(set.n, 0);
}
END_TEST

START_TEST(fds_named_by_the_jobserver)
{
	char *env[] = { "MAKEFLAGS= -j4 --jobserver-auth=11,12", "LISTEN_FDS=1",
			"MFLAGS=--jobserver-fds=5,6", NULL };
	struct noleak_fdset set = { 0 };

	noleak_fds_in_makeflags(env, &set);
	ck_assert_uint_eq(set.n, 4);
	ck_assert(noleak_fdset_has(&set, 11) && noleak_fdset_has(&set, 12));
	ck_assert(noleak_fdset_has(&set, 5) && noleak_fdset_has(&set, 6));
}
END_TEST

/* The environment conventions of the table, one each. */
START_TEST(fds_named_by_conventions)
{
	char *env[] = {
		"HAPROXY_PROCESSES=|type=w;fd=5;pid=1|type=w;fd=-1;cfd=6;pid=2",
		"DOVECOT_CONFIG_FD=7", "_assuan_connection_fd=8",
		"UWSGI_EMPEROR_FD=9", "UWSGI_EMPEROR_FD_CONFIG=10",
		"GUNICORN_FD=11,12", "WESTON_TTY_FD=13", NULL
	};
	int want[] = { 5, 6, 7, 8, 9, 10, 11, 12, 13 };
	char *cargo[] = { "CARGO_MAKEFLAGS=-j --jobserver-fds=14,15 --jobserver-auth=14,15",
			  "GNUMAKEFLAGS=--jobserver-auth=16,17 --jobserver-auth=-2,-2", NULL };
	struct noleak_fdset set = { 0 };

	noleak_fds_in_env(env, 1, &set);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(noleak_fdset_has(&set, want[i]), "fd %d", want[i]);
	ck_assert_uint_eq(set.n, sizeof(want) / sizeof(want[0]));
	set.n = 0;
	noleak_fds_in_makeflags(cargo, &set);
	ck_assert_uint_eq(set.n, 2);
	ck_assert(noleak_fdset_has(&set, 14) && noleak_fdset_has(&set, 15));
}
END_TEST

/* LISTEN_PID naming the caller: the sockets are its own, not a child's
 * whose pid is not known yet. */
START_TEST(listen_pid_of_the_caller)
{
	char *env[] = { "LISTEN_FDS=2", "LISTEN_PID=1234", NULL };
	struct noleak_fdset set = { 0 };

	noleak_fds_in_env(env, -1234, &set);
	ck_assert_uint_eq(set.n, 0);
	noleak_fds_in_env(env, -999, &set);
	ck_assert_uint_eq(set.n, 2);
}
END_TEST

/* ---- the table against libnoleak(7) and doc/conventions.md ---------- */

/* The text of REL under $NOLEAK_SRCDIR, NUL-terminated; the caller frees. */
static char *source_text(const char *rel)
{
	const char *srcdir = getenv("NOLEAK_SRCDIR");
	char path[4096], *text;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", srcdir ? srcdir : ".", rel);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	text = malloc(1 << 20);
	ck_assert(text != NULL);
	len = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	text[len] = '\0';
	return text;
}

/* roff to text, in place: "\-" is "-", "\e" is "\", "\&" and the font
 * changes (\fB, \fI, \fR, \fP) are nothing. */
static void roff_plain(char *t)
{
	size_t out = 0;

	for (size_t i = 0; t[i]; i++) {
		if (t[i] == '\\' && (t[i + 1] == '-' || t[i + 1] == 'e')) {
			t[out++] = t[i + 1] == '-' ? '-' : '\\';
			i++;
		} else if (t[i] == '\\' && t[i + 1] == '&') {
			i++;
		} else if (t[i] == '\\' && t[i + 1] == 'f' && t[i + 2]) {
			i += 2;
		} else {
			t[out++] = t[i];
		}
	}
	t[out] = '\0';
}

/* The CONVENTIONS section of PAGE (roff_plain'ed), cut in place: from the
 * line after ".SH CONVENTIONS" to the next ".SH"; NULL without one. */
static char *conventions_section(char *page)
{
	char *start = strstr(page, "\n.SH CONVENTIONS\n"), *end;

	if (!start)
		return NULL;
	start = strchr(start + 1, '\n') + 1;
	end = strstr(start, "\n.SH ");
	if (end)
		end[1] = '\0';
	return start;
}

/* Whether TAG, the line after a ".TP" (".B NAME", or "NAME, NAME, ..."),
 * names NAME. */
static int tag_names(const char *tag, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len > 3 && !strncmp(tag, ".B ", 3))
		return len - 3 == n && !strncmp(tag + 3, name, n);
	for (const char *p = tag; p < tag + len;) {
		const char *comma = memchr(p, ',', (size_t)(tag + len - p));
		const char *e = comma ? comma : tag + len;

		if ((size_t)(e - p) == n && !strncmp(p, name, n))
			return 1;
		p = comma ? comma + 2 : tag + len;
	}
	return 0;
}

/* Whether SECTION has an item (.TP, its tag, then its text up to the next
 * request) whose tag names NAME and whose text holds FORM (when not NULL)
 * and SOURCE. */
static int man_item(const char *section, const char *name, const char *form,
		    const char *source)
{
	for (const char *p = section; (p = strstr(p, ".TP\n")); p += 4) {
		const char *tag = p + 4, *text = strchr(tag, '\n');
		const char *end;

		if (p != section && p[-1] != '\n')
			continue;
		char body[2048];
		size_t len;

		if (!text)
			return 0;
		text++;
		for (end = text; *end && *end != '.';) {
			const char *nl = strchr(end, '\n');

			end = nl ? nl + 1 : end + strlen(end);
		}
		len = (size_t)(end - text) < sizeof(body) - 1 ? (size_t)(end - text) : sizeof(body) - 1;
		memcpy(body, text, len);
		body[len] = '\0';
		if (tag_names(tag, (size_t)(text - 1 - tag), name) &&
		    (!form || strstr(body, form)) && strstr(body, source))
			return 1;
	}
	return 0;
}

/* Whether NAME is a row of the table. */
static int table_names(const struct noleak_convention *table, size_t n,
		       const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(table[i].name) == len && !strncmp(table[i].name, name, len))
			return 1;
	return 0;
}

/* libnoleak(7), CONVENTIONS (that section alone) has an item for every
 * row of the table, tagged with its name and saying its form (its rule,
 * for a program) and its source; and every item names a row. */
START_TEST(man_page_lists_every_convention)
{
	const struct noleak_convention *table;
	size_t n = noleak_conventions(&table);
	char *page = source_text("man/libnoleak.7"), *section;

	roff_plain(page);
	section = conventions_section(page);
	ck_assert_msg(section != NULL, "libnoleak(7) has no CONVENTIONS section");
	ck_assert_uint_le(n, NOLEAK_HANDOVER_VARS);
	ck_assert_uint_gt(n, 50);
	for (size_t i = 0; i < n; i++) {
		int program = table[i].kind >= NOLEAK_CONV_PROGRAM_FIRST;

		ck_assert_msg(table[i].form && *table[i].form && table[i].source &&
			      *table[i].source, "%s: no form or source", table[i].name);
		ck_assert_msg(man_item(section, table[i].name,
				       program ? NULL : table[i].form, table[i].source),
			      "libnoleak(7), CONVENTIONS: no item for %s (tag %s, form \"%s\", source \"%s\")",
			      table[i].name, table[i].name, program ? "-" : table[i].form,
			      table[i].source);
	}
	for (const char *p = section; (p = strstr(p, ".TP\n")); p += 4) {
		const char *tag = p + 4, *end = strchr(tag, '\n');

		if ((p != section && p[-1] != '\n') || !end)
			continue;
		if (!strncmp(tag, ".B ", 3)) {
			ck_assert_msg(table_names(table, n, tag + 3, (size_t)(end - tag - 3)),
				      "libnoleak(7), CONVENTIONS: item %.*s is no row of conventions[]",
				      (int)(end - tag - 3), tag + 3);
			continue;
		}
		for (const char *w = tag; w < end;) {
			const char *comma = memchr(w, ',', (size_t)(end - w));
			const char *e = comma ? comma : end;

			ck_assert_msg(table_names(table, n, w, (size_t)(e - w)),
				      "libnoleak(7), CONVENTIONS: item %.*s is no row of conventions[]",
				      (int)(e - w), w);
			w = comma ? comma + 2 : end;
		}
	}
	free(page);
}
END_TEST

/* Whether TEXT (markdown) has a code span `NAME`, or one that starts with
 * NAME and goes on with its form: anything after a prefix (`fd@N`), a
 * blank or "=" after another name (`GUNICORN_FD=N,N`, `flock FILE`). */
static int code_span(const char *text, const char *name, int prefix)
{
	size_t n = strlen(name);

	for (const char *p = strchr(text, '`'); p; p = strchr(p, '`')) {
		const char *end = strchr(p + 1, '`');

		if (!end)
			return 0;
		if ((size_t)(end - p - 1) >= n && !strncmp(p + 1, name, n) &&
		    ((size_t)(end - p - 1) == n || prefix || p[1 + n] == ' ' || p[1 + n] == '='))
			return 1;
		p = end + 1;
	}
	return 0;
}

/* doc/conventions.md, the survey behind the table, speaks of every row:
 * its name as code, in a section of its own or in the brief ones. */
START_TEST(survey_covers_every_convention)
{
	const struct noleak_convention *table;
	size_t n = noleak_conventions(&table);
	char *doc = source_text("doc/conventions.md");

	for (size_t i = 0; i < n; i++) {
		enum noleak_conv_kind k = table[i].kind;
		int prefix = k == NOLEAK_CONV_ARG_PATH || k == NOLEAK_CONV_ARG_PREFIX ||
			     k == NOLEAK_CONV_ARG_SHELL_DUP;

		ck_assert_msg(code_span(doc, table[i].name, prefix),
			      "doc/conventions.md does not speak of `%s` (%s, a row of conventions[])",
			      table[i].name, table[i].program ? table[i].program : "many programs");
	}
	free(doc);
}
END_TEST

/* The environment of an exec as the process scope's plan says. */
START_TEST(env_rewrite_as_planned)
{
	char *env[] = { "A=1", "LD_PRELOAD=/x/libnoleak.so", "_NOLEAK_PID=12",
			"_NOLEAK_REEXEC=9", NULL };
	char *carry[] = { "LD_PRELOAD=/x/libnoleak.so", "NOLEAK_SCOPE=tree", NULL };
	char *scratch[] = { "TZ=UTC", "NGINX=5;", NULL };
	char *out[16], buf[256];
	size_t n;

	n = noleak_env_rewrite(env, NOLEAK_ENV_OWNER, "libnoleak.so", NULL, carry,
			       out, 16, buf, sizeof(buf));
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(out[0], "A=1");
	ck_assert_str_eq(out[1], "LD_PRELOAD=/x/libnoleak.so");
	n = noleak_env_rewrite(env, NOLEAK_ENV_STRIP | NOLEAK_ENV_REEXEC, "libnoleak.so",
			       "3-4,7", carry, out, 16, buf, sizeof(buf));
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(out[1], "_NOLEAK_PID=12");
	ck_assert_str_eq(out[2], "_NOLEAK_REEXEC=3-4,7");
	n = noleak_env_rewrite(scratch, NOLEAK_ENV_OWNER | NOLEAK_ENV_CARRY,
			       "libnoleak.so", NULL, carry, out, 16, buf, sizeof(buf));
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(out[2], "LD_PRELOAD=/x/libnoleak.so");
	ck_assert_str_eq(out[3], "NOLEAK_SCOPE=tree");
	ck_assert_ptr_null(out[4]);
	ck_assert_uint_eq(noleak_env_rewrite(scratch, NOLEAK_ENV_CARRY, "libnoleak.so",
					     NULL, carry, out, 3, buf, sizeof(buf)),
			  (size_t)-1);
}
END_TEST

START_TEST(env_has_lib_by_file_name)
{
	char *with[] = { "A=1", "LD_PRELOAD=/x/libfoo.so /usr/lib/noleak/libnoleak.so", NULL };
	char *other[] = { "LD_PRELOAD=/x/libnoleak.so.bak:/y/notlibnoleak.so", NULL };
	char *none[] = { "A=1", NULL };

	ck_assert(noleak_env_has_lib(with, "libnoleak.so"));
	ck_assert(!noleak_env_has_lib(other, "libnoleak.so"));
	ck_assert(!noleak_env_has_lib(none, "libnoleak.so"));
	ck_assert(!noleak_env_has_lib(NULL, "libnoleak.so"));
}
END_TEST

START_TEST(env_strip_takes_out_only_us)
{
	char *env[] = { "A=1", "LD_PRELOAD=/x/libfoo.so:/usr/lib/noleak/libnoleak.so /y/libbar.so",
			"B=2", NULL };
	char *only[] = { "LD_PRELOAD=/usr/lib/noleak/libnoleak.so", "C=3", NULL };
	char *out[8], buf[256];

	ck_assert_uint_eq(noleak_env_strip(env, "libnoleak.so", out, 8, buf, sizeof(buf)), 3);
	ck_assert_str_eq(out[0], "A=1");
	ck_assert_str_eq(out[1], "LD_PRELOAD=/x/libfoo.so:/y/libbar.so");
	ck_assert_str_eq(out[2], "B=2");
	ck_assert_ptr_null(out[3]);

	ck_assert_uint_eq(noleak_env_strip(only, "libnoleak.so", out, 8, buf, sizeof(buf)), 1);
	ck_assert_str_eq(out[0], "C=3");
	ck_assert_ptr_null(out[1]);
}
END_TEST

/* The words and numbers of the configuration. */
START_TEST(config_words_and_numbers)
{
	static const char *const words[] = { "enforce", "audit", "off", NULL };
	const char *why;

	ck_assert_int_eq(noleak_choose("audit", words), 1);
	ck_assert_int_eq(noleak_choose("Audit", words), -1);
	ck_assert_int_eq(noleak_choose("", words), -1);
	ck_assert_int_eq(noleak_choose(NULL, words), -1);

	ck_assert_int_eq(noleak_log_parse(NULL, 64, &why), NOLEAK_LOG_STDERR);
	ck_assert_int_eq(noleak_log_parse("", 64, &why), NOLEAK_LOG_STDERR);
	ck_assert_int_eq(noleak_log_parse("stderr", 64, &why), NOLEAK_LOG_STDERR);
	ck_assert_int_eq(noleak_log_parse("syslog", 64, &why), NOLEAK_LOG_SYSLOG);
	ck_assert_int_eq(noleak_log_parse("/var/log/x", 64, &why), NOLEAK_LOG_FILE);
	ck_assert_ptr_null(why);
	ck_assert_int_eq(noleak_log_parse("var/log/x", 64, &why), -1);
	ck_assert_str_eq(why, "expected stderr, syslog or an absolute path; using stderr");
	ck_assert_int_eq(noleak_log_parse("/a/rather/long/path", 8, &why), -1);
	ck_assert_str_eq(why, "path too long; using stderr");

	ck_assert_int_eq(noleak_pid_parse("4120"), 4120);
	ck_assert_int_eq(noleak_pid_parse("12abc"), 0);
	ck_assert_int_eq(noleak_pid_parse("-5"), 0);
	ck_assert_int_eq(noleak_pid_parse("0"), 0);
	ck_assert_int_eq(noleak_pid_parse(""), 0);
	ck_assert_int_eq(noleak_pid_parse("99999999999999999999"), 0);
	ck_assert_int_eq(noleak_pid_parse(NULL), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("keep-list");

	tcase_add_test(tc, keep_numbers_and_ranges);
	tcase_add_test(tc, keep_resources);
	tcase_add_loop_test(tc, keep_bad_resources_are_named, 0,
			    sizeof(bad_resources) / sizeof(bad_resources[0]));
	tcase_add_test(tc, keep_numbers_can_be_skipped);
	tcase_add_loop_test(tc, glob_matches_like_the_shell, 0,
			    sizeof(globs) / sizeof(globs[0]));
	tcase_add_test(tc, keep_tolerates_spaces_and_empty_entries);
	tcase_add_loop_test(tc, keep_bad_entry_is_reported_and_skipped, 0,
			    sizeof(bad_entries) / sizeof(bad_entries[0]));
	tcase_add_test(tc, keep_limits_entries);
	tcase_add_test(tc, keep_survives_random_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("mode");
	tcase_add_loop_test(tc, mode_gets_e_once, 0,
			    sizeof(modes) / sizeof(modes[0]));
	tcase_add_test(tc, mode_too_long_is_left_alone);
	tcase_add_test(tc, mode_keeps_glibc_flags);
	tcase_add_test(tc, config_words_and_numbers);
	suite_add_tcase(s, tc);

	tc = tcase_create("intent");
	tcase_add_test(tc, intent_follows_the_descriptor);
	tcase_add_test(tc, intent_kept_from_a_vfork_child);
	tcase_add_test(tc, added_bits);
	tcase_add_test(tc, intent_many_keeps_sweeping);
	tcase_add_test(tc, handover_inherited_is_ignored);
	suite_add_tcase(s, tc);

	tc = tcase_create("named");
	tcase_add_loop_test(tc, fds_named_in_arguments, 0,
			    sizeof(named_args) / sizeof(named_args[0]));
	tcase_add_test(tc, fds_named_in_environment);
	tcase_add_test(tc, fds_named_in_garbage);
	tcase_add_test(tc, fds_named_by_the_jobserver);
	tcase_add_test(tc, env_strip_takes_out_only_us);
	tcase_add_test(tc, env_has_lib_by_file_name);
	tcase_add_test(tc, fds_named_by_conventions);
	tcase_add_test(tc, listen_pid_of_the_caller);
	tcase_add_test(tc, man_page_lists_every_convention);
	tcase_add_test(tc, survey_covers_every_convention);
	tcase_add_test(tc, env_rewrite_as_planned);
	suite_add_tcase(s, tc);

	tc = tcase_create("sweep");
	tcase_add_test(tc, sweep_marks_and_keeps);
	tcase_add_loop_test(tc, sweep_fallbacks_agree, 0, 2);
	tcase_add_test(tc, sweep_undoes_only_its_own_flag);
	tcase_add_loop_test(tc, sweep_stack_is_small, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
