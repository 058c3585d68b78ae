/* SPDX-License-Identifier: MIT */
/* check_preload.c: the shim under the real loader.
 *
 * Each test starts tests/probe with LD_PRELOAD in an explicit environment
 * and reads what the probe and its child report.  Where the shim changes
 * behaviour, the same probe also runs without it, and the test asserts the
 * leak is there: a test that cannot fail proves nothing. */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* The probe's creators ("probe creators": its table's inventory rows,
 * and popen, whose stream the inventory leaves out). */
static char *creators[128];
static int n_creators;

static void read_creators(void)
{
	char cmd[4200], line[64];
	const char *dir = getenv("NOLEAK_TESTS");
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s/probe' creators", dir ? dir : ".");
	p = popen(cmd, "r");
	while (p && n_creators < 127 && fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		creators[n_creators++] = strdup(line);
	}
	if (p)
		pclose(p);
}

static const char *const spawns[] = {
	"fork-execve", "fork-execv", "fork-execvp", "fork-execvpe",
	"fork-execl", "fork-execlp", "fork-execle", "fork-fexecve",
	"fork-execveat", "vfork-execv", "posix_spawn", "posix_spawnp",
	"system", "popen", "exec",
};
enum { N_SPAWNS = sizeof(spawns) / sizeof(spawns[0]) };

static int created(const struct run *r, int *fds)
{
	int n = line_numbers(r->out, "created", fds, 2);

	ck_assert_msg(n > 0, "probe printed no 'created' line:\n%s\n%s",
		      r->out, r->err);
	return n;
}

static void expect_exit0(const struct run *r, const char *what)
{
	ck_assert_msg(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0,
		      "%s: status %d\nstdout:\n%s\nstderr:\n%s", what, r->status,
		      r->out, r->err);
}

START_TEST(creator_list_was_read)
{
	ck_assert_msg(n_creators > 40, "only %d creators came from 'probe creators'",
		      n_creators);
}
END_TEST

/* One creator through every spawn path: with the shim the descriptor is
 * close-on-exec in the creator and absent from the child; without it the
 * child inherits it. */
START_TEST(creator_never_leaks)
{
	const char *creator = creators[_i];

	for (size_t s = 0; s < N_SPAWNS; s++) {
		const char *args[] = { "run", creator, spawns[s], NULL };
		struct run with, without;
		int fds[2], flags[2], n;

		run_probe(&with, 1, NULL, args);
		expect_exit0(&with, spawns[s]);
		if (strstr(with.out, "skipped")) {
			fprintf(stderr, "%s: skipped (needs privileges)\n", creator);
			return;
		}
		n = created(&with, fds);
		line_numbers(with.out, "cloexec", flags, 2);
		for (int i = 0; i < n; i++) {
			/* A syscall instruction is invisible until exec. */
			if (strcmp(creator, "raw"))
				ck_assert_msg(flags[i] == 1,
					      "%s: fd %d not close-on-exec",
					      creator, fds[i]);
			ck_assert_msg(!inherited(with.out, fds[i]),
				      "%s fd %d leaked through %s:\n%s",
				      creator, fds[i], spawns[s], with.out);
		}

		/* glibc's popen child closes the streams of earlier popen
		 * calls itself (libio/iopopen.c), as POSIX asks. */
		if (!strcmp(creator, "popen") && !strcmp(spawns[s], "popen"))
			continue;
		run_probe(&without, 0, NULL, args);
		expect_exit0(&without, spawns[s]);
		n = created(&without, fds);
		ck_assert_msg(inherited(without.out, fds[0]),
			      "without the shim, %s fd %d did not reach the "
			      "child through %s, so this test proves nothing:\n%s",
			      creator, fds[0], spawns[s], without.out);
	}
}
END_TEST

/* One descriptor from every creator at once, in each of the probe's four
 * builds, through the six spawn paths: with the shim the child inherits
 * none of them; without it, every one. */
static const char *const builds[] = { "probe", "probe-lfs", "probe-fortify",
				      "probe-lfs-fortify" };
static const char *const inventory_spawns[] = {
	"fork-execve", "fork-execvp", "vfork-execv", "posix_spawn", "system",
	"popen",
};

START_TEST(inventory_reaches_no_child)
{
	for (size_t s = 0; s < sizeof(inventory_spawns) / sizeof(char *); s++) {
		const char *args[] = { "inventory", inventory_spawns[s], NULL };
		struct run with, without;
		int fds[256], n, leaked = 0;

		run_probe_as(&with, builds[_i], 1, NULL, args);
		expect_exit0(&with, inventory_spawns[s]);
		n = line_numbers(with.out, "created", fds, 256);
		ck_assert_int_gt(n, 40);
		for (int i = 0; i < n; i++)
			leaked += inherited(with.out, fds[i]);
		ck_assert_msg(leaked == 0, "%s, %s: %d of %d descriptors leaked:\n%s",
			      builds[_i], inventory_spawns[s], leaked, n, with.out);

		run_probe_as(&without, builds[_i], 0, NULL, args);
		expect_exit0(&without, inventory_spawns[s]);
		n = line_numbers(without.out, "created", fds, 256);
		for (int i = 0; i < n; i++)
			ck_assert_msg(inherited(without.out, fds[i]),
				      "%s, %s: without the shim fd %d did not "
				      "leak, so this test proves nothing:\n%s",
				      builds[_i], inventory_spawns[s], fds[i],
				      without.out);
	}
}
END_TEST

/* What glibc already makes close-on-exec is not wrapped; this says so. */
static const char *const already[] = { "opendir", "shm_open", "pidfd_open",
				       "mq_open" };

START_TEST(glibc_already_cloexec)
{
	const char *args[] = { "run", already[_i], "fork-execve", NULL };
	struct run r;
	int fd, flag;

	run_probe(&r, 0, NULL, args);
	expect_exit0(&r, already[_i]);
	if (strstr(r.out, "skipped"))
		return;
	created(&r, &fd);
	line_numbers(r.out, "cloexec", &flag, 1);
	ck_assert_msg(flag == 1 && !inherited(r.out, fd),
		      "%s is not close-on-exec without the shim: wrap it\n%s",
		      already[_i], r.out);
}
END_TEST

/* Wrapped calls from a pthread_atfork handler inside fork, and fork from a
 * signal handler inside openpty, finish instead of deadlocking on the fork
 * lock (the harness gives up after 60 seconds). */
START_TEST(fork_lock_never_deadlocks)
{
	const char *args[] = { "lock-hazards", NULL };
	struct run r;

	run_probe(&r, 1, NULL, args);
	expect_exit0(&r, "lock-hazards");
	ck_assert_msg(strstr(r.out, "atfork ok") && strstr(r.out, "signal ok"),
		      "%s\n%s", r.out, r.err);
}
END_TEST

/* The program says "inherit this" in one of the ways it can; the child must
 * get it through every spawn path. */
static const char *const intents[] = { "dup2", "dup3", "setfd", "fionclex" };

START_TEST(intent_is_honoured)
{
	for (size_t s = 0; s < N_SPAWNS; s++) {
		const char *args[] = { "intent", intents[_i], spawns[s], NULL };
		struct run r;
		int fd;

		run_probe(&r, 1, NULL, args);
		expect_exit0(&r, spawns[s]);
		created(&r, &fd);
		ck_assert_msg(inherited(r.out, fd),
			      "%s: fd %d made inheritable by %s did not reach "
			      "the child:\n%s\n%s", spawns[s], fd, intents[_i],
			      r.out, r.err);
	}
}
END_TEST

/* dup2(fd, fd) changes nothing, so it must not count as intent. */
START_TEST(dup2_onto_itself_is_not_intent)
{
	const char *args[] = { "intent", "dup2-same", "fork-execve", NULL };
	struct run r;
	int fd;

	run_probe(&r, 1, NULL, args);
	expect_exit0(&r, "dup2-same");
	created(&r, &fd);
	ck_assert_msg(!inherited(r.out, fd), "fd %d leaked:\n%s", fd, r.out);
}
END_TEST

/* NOLEAK_KEEP names numbers that survive exec, even when the shim made them
 * close-on-exec at creation; the parent-side sweeps honour it too. */
static const char *const keep_spawns[] = { "fork-execve", "vfork-execv",
					   "system", "posix_spawn", "exec" };

START_TEST(keep_list_survives)
{
	const char *env[] = { "NOLEAK_KEEP=3-9", NULL };
	const char *args[] = { "run", "socket", keep_spawns[_i], NULL };
	struct run r;
	int fd;

	run_probe(&r, 1, env, args);
	expect_exit0(&r, keep_spawns[_i]);
	created(&r, &fd);
	ck_assert_int_le(fd, 9);
	ck_assert_msg(inherited(r.out, fd), "kept fd %d did not arrive:\n%s",
		      fd, r.out);
	ck_assert_str_eq(r.err, "");
}
END_TEST

/* The kernel bit is the record of intent: a keep-list never takes off a
 * close-on-exec flag the program set itself. */
START_TEST(keep_list_respects_program_cloexec)
{
	const char *env[] = { "NOLEAK_KEEP=3-9", NULL };
	const char *args[] = { "program-cloexec", "fork-execve", NULL };
	struct run r;
	int fd;

	run_probe(&r, 1, env, args);
	expect_exit0(&r, "program-cloexec");
	created(&r, &fd);
	ck_assert_msg(!inherited(r.out, fd), "fd %d was resurrected:\n%s",
		      fd, r.out);
}
END_TEST

/* A bad entry is reported by name; the good ones still count. */
START_TEST(keep_list_bad_entry)
{
	const char *env[] = { "NOLEAK_KEEP=abc, 3-9,9-4", NULL };
	const char *args[] = { "run", "open", "fork-execve", NULL };
	struct run r;
	int fd;

	run_probe(&r, 1, env, args);
	expect_exit0(&r, "bad keep-list");
	created(&r, &fd);
	ck_assert_msg(inherited(r.out, fd), "valid entry 3-9 was dropped:\n%s",
		      r.out);
	ck_assert_msg(strstr(r.err, "NOLEAK_KEEP: ignoring 'abc'") &&
		      strstr(r.err, "NOLEAK_KEEP: ignoring '9-4'"),
		      "no clear message for the bad entries:\n%s", r.err);
	ck_assert_msg(!strstr(r.err, "ignoring '3-9'"), "%s", r.err);
}
END_TEST

/* An unknown scope or signals setting is reported, naming the variable and
 * the value, and the default applies. */
START_TEST(bad_words_are_reported)
{
	const char *env[] = { "NOLEAK_SCOPE=sideways", "NOLEAK_SIGNALS=\x01x", NULL };
	const char *args[] = { "run", "open", "fork-execve", NULL };
	struct run r;
	int fd;

	run_probe(&r, 1, env, args);
	expect_exit0(&r, "bad words");
	created(&r, &fd);
	ck_assert_msg(!inherited(r.out, fd), "the shim stopped working:\n%s", r.out);
	ck_assert_msg(strstr(r.err, "NOLEAK_SCOPE: ignoring 'sideways': expected "
			     "process or tree; using process") &&
		      strstr(r.err, "NOLEAK_SIGNALS: ignoring '\\x01x': expected "
			     "restore or keep; using restore"),
		      "no clear message:\n%s", r.err);
}
END_TEST

/* The daemonize idiom lands new descriptors on 0, 1 and 2: never
 * close-on-exec there. */
START_TEST(stdio_idiom_keeps_std_fds)
{
	const char *args[] = { "stdio", NULL };
	struct run r;
	int flags[3];

	run_probe(&r, 1, NULL, args);
	expect_exit0(&r, "stdio");
	ck_assert_int_eq(line_numbers(r.out, "std-cloexec", flags, 3), 3);
	ck_assert_msg(flags[0] == 0 && flags[1] == 0 && flags[2] == 0,
		      "fds 0-2 got close-on-exec: %s", r.out);
}
END_TEST

/* close(1); dup(pipe): the child's stdout is the pipe. */
static const char *const old_dup_spawns[] = { "fork-execv", "vfork-execv",
					      "posix_spawn", "system" };

START_TEST(old_dup_idiom)
{
	const char *args[] = { "old-dup", old_dup_spawns[_i], NULL };
	struct run r;

	run_probe(&r, 1, NULL, args);
	expect_exit0(&r, old_dup_spawns[_i]);
	ck_assert_msg(strstr(r.out, "read through-the-pipe"),
		      "the child's stdout did not reach the pipe:\n%s\n%s",
		      r.out, r.err);
}
END_TEST

/* A failed exec in place leaves descriptors open and usable. */
static const char *const failexec_creators[] = { "open", "socket", "pipe",
						 "syscall" };

START_TEST(failed_exec_loses_nothing)
{
	const char *args[] = { "failexec", failexec_creators[_i], NULL };
	struct run r;

	run_probe(&r, 1, NULL, args);
	expect_exit0(&r, "failexec");
	ck_assert_msg(strstr(r.out, "exec-errno 2\n"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "usable yes"),
		      "descriptor lost after a failed exec:\n%s", r.out);
}
END_TEST

/* freopen onto stdout, then system(): the output lands in the file. */
START_TEST(freopen_stdout_then_system)
{
	char path[] = "/tmp/noleak-freopen-XXXXXX";
	const char *args[] = { "freopen-system", path, NULL };
	char buf[256] = "";
	struct run r;
	FILE *f;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	run_probe(&r, 1, NULL, args);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	unlink(path);
	expect_exit0(&r, "freopen-system");
	ck_assert_str_eq(buf, "hello-from-system\n");
	ck_assert_msg(strstr(r.err, "stdout-cloexec 0"), "%s", r.err);
}
END_TEST

/* The old posix_spawnp's fallback is /bin/sh with the name as given, not
 * the file its search found (spawni.c, maybe_script_execute after
 * __execvpex): /bin/sh cannot open a bare name outside its directory, and
 * the script does not run, with the library as without it. */
START_TEST(old_posix_spawnp_falls_back_as_glibc)
{
	char dir[] = "/tmp/noleak-pathdir-XXXXXX", path[64];
	const char *args[] = { "spawnp-compat", dir, "noshebang", NULL };
	struct run without, with;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/noshebang", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0700);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "echo script-ran\n", 16), 16);
	close(fd);
	run_probe(&without, 0, NULL, args);
	run_probe(&with, 1, NULL, args);
	unlink(path);
	rmdir(dir);
	if (strstr(without.out, "rc unsupported"))
		return;		/* no such version on this platform */
	ck_assert_msg(strstr(without.out, "rc 0 status") && !strstr(without.out, "script-ran"),
		      "without: %s", without.out);
	ck_assert_str_eq(with.out, without.out);
}
END_TEST

/* A binary linked against posix_spawn@GLIBC_2.2.5 still gets the old
 * version's fallback to /bin/sh for a file without #!. */
START_TEST(old_posix_spawn_keeps_its_shell_fallback)
{
	char path[] = "/tmp/noleak-noshebang-XXXXXX";
	const char *args[] = { "spawn-compat", path, NULL };
	struct run r;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "echo script-ran\n", 16), 16);
	close(fd);
	chmod(path, 0700);
	run_probe(&r, 1, NULL, args);
	unlink(path);
	expect_exit0(&r, "spawn-compat");
	if (strstr(r.out, "rc unsupported"))
		return;		/* no such version on this platform */
	ck_assert_msg(strstr(r.out, "rc 0\n") && strstr(r.out, "script-ran"),
		      "the old posix_spawn lost its /bin/sh fallback:\n%s\n%s",
		      r.out, r.err);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("preload");
	TCase *tc = tcase_create("creators");

	tcase_set_timeout(tc, 300);
	read_creators();
	tcase_add_test(tc, creator_list_was_read);
	tcase_add_loop_test(tc, creator_never_leaks, 0, n_creators);
	tcase_add_loop_test(tc, inventory_reaches_no_child, 0,
			    sizeof(builds) / sizeof(builds[0]));
	tcase_add_loop_test(tc, glibc_already_cloexec, 0,
			    sizeof(already) / sizeof(already[0]));
	tcase_add_test(tc, fork_lock_never_deadlocks);
	suite_add_tcase(s, tc);

	tc = tcase_create("intent");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, intent_is_honoured, 0,
			    sizeof(intents) / sizeof(intents[0]));
	tcase_add_test(tc, dup2_onto_itself_is_not_intent);
	tcase_add_loop_test(tc, keep_list_survives, 0,
			    sizeof(keep_spawns) / sizeof(keep_spawns[0]));
	tcase_add_test(tc, keep_list_respects_program_cloexec);
	tcase_add_test(tc, keep_list_bad_entry);
	tcase_add_test(tc, bad_words_are_reported);
	suite_add_tcase(s, tc);

	tc = tcase_create("idioms");
	tcase_add_test(tc, stdio_idiom_keeps_std_fds);
	tcase_add_loop_test(tc, old_dup_idiom, 0,
			    sizeof(old_dup_spawns) / sizeof(old_dup_spawns[0]));
	tcase_add_loop_test(tc, failed_exec_loses_nothing, 0,
			    sizeof(failexec_creators) / sizeof(failexec_creators[0]));
	tcase_add_test(tc, freopen_stdout_then_system);
	tcase_add_test(tc, old_posix_spawn_keeps_its_shell_fallback);
	tcase_add_test(tc, old_posix_spawnp_falls_back_as_glibc);
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
