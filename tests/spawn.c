/* SPDX-License-Identifier: MIT */
/* spawn.c: what posix_spawn, system and popen do, for tests/spawn.sh to run
 * with and without the shim, which starts these children itself.
 *
 *   spawn cases     runs every case and prints "NAME RESULT..." lines that
 *                   must be the same with and without the shim
 *   spawn parent    makes a descriptor the shim cannot see (a raw dup
 *                   system call) and starts a child through each of
 *                   posix_spawn, system and popen: prints, for each, what
 *                   the child inherited of it and whether this process's
 *                   own flag on it changed
 *   spawn child     the child of the cases: prints what it was given
 *   spawn nolock    one thread runs system("sleep 1") while another calls
 *                   openpty in a loop: prints "openpty N cpu-ms M" (how
 *                   many calls got through, and the CPU the process used)
 *   spawn helper DIR  one thread starts DIR/jspawnhelper (whose flags the
 *                   shim takes off in its child) again and again while
 *                   another starts children with system() and posix_spawn
 *                   that look for a listener: prints "checked N leaked M" */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* fclose of a popen stream is what some programs do, and what is tested. */
#pragma GCC diagnostic ignored "-Wmismatched-dealloc"

extern char **environ;

/* The posix_spawn of programs linked before glibc 2.15, which runs a file
 * without "#!" through /bin/sh. */
int old_posix_spawn(pid_t *, const char *, const posix_spawn_file_actions_t *,
		    const posix_spawnattr_t *, char *const[], char *const[]);
__asm__(".symver old_posix_spawn, posix_spawn@GLIBC_2.2.5");

static const char *self;
static char work[256];

static const char *err_name(int err)
{
	return err ? strerrorname_np(err) : "0";
}

/* Wait for pid; "exit N", "signal N" or "wait-failed". */
static void show_wait(const char *name, pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		printf("%s wait-failed %s\n", name, err_name(errno));
	else if (WIFEXITED(status))
		printf("%s exit %d\n", name, WEXITSTATUS(status));
	else
		printf("%s signal %d\n", name, WTERMSIG(status));
}

/* posix_spawn argv with actions and attr; print the result, the child's
 * output lines (through a pipe on its stdout) and its status. */
static void run(const char *name, int path_search, const char *file,
		posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr,
		char *const argv[])
{
	posix_spawn_file_actions_t mine;
	int p[2], err;
	pid_t pid;
	char buf[512];
	FILE *in;

	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	if (!fa) {
		posix_spawn_file_actions_init(&mine);
		fa = &mine;
	}
	posix_spawn_file_actions_adddup2(fa, p[1], 1);
	err = path_search ? posix_spawnp(&pid, file, fa, attr, argv, environ)
			  : posix_spawn(&pid, file, fa, attr, argv, environ);
	close(p[1]);
	printf("%s spawn %s\n", name, err_name(err));
	in = fdopen(p[0], "r");
	while (in && fgets(buf, sizeof(buf), in))
		printf("%s out %s", name, buf);
	if (in)
		fclose(in);
	if (!err)
		show_wait(name, pid);
	if (fa == &mine)
		posix_spawn_file_actions_destroy(&mine);
}

static void child_report(void)
{
	sigset_t mask;
	struct sigaction sa;
	char cwd[256];

	sigprocmask(SIG_SETMASK, NULL, &mask);
	printf("sid-is-pid %d pgid-is-pid %d\n", getsid(0) == getpid(),
	       getpgid(0) == getpid());
	printf("usr1-blocked %d\n", sigismember(&mask, SIGUSR1));
	for (int sig = SIGUSR1; sig <= SIGUSR2; sig += SIGUSR2 - SIGUSR1) {
		sigaction(sig, NULL, &sa);
		printf("sig%d %s\n", sig, sa.sa_handler == SIG_IGN ? "ignored" :
		       sa.sa_handler == SIG_DFL ? "default" : "handled");
	}
	printf("cwd %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	for (int fd = 3; fd < 64; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			printf("fd %d\n", fd);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void spawn_cases(void)
{
	char *report[] = { (char *)self, (char *)"child", NULL };
	char *sh_echo[] = { (char *)"sh", (char *)"-c",
			    (char *)"echo from-fd-5 >&5; cat /proc/self/fd/5 >/dev/null 2>&1; echo done", NULL };
	char path[300], noexec[300], *none[] = { (char *)"x", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t set;
	int fd, err;
	pid_t pid;
	FILE *f;
	char buf[64];

	run("plain", 0, self, NULL, NULL, report);
	run("enoent", 0, "/nonexistent/program", NULL, NULL, none);
	run("path-search", 1, "true", NULL, NULL, none);
	run("path-enoent", 1, "no-such-program-noleak", NULL, NULL, none);
	snprintf(noexec, sizeof(noexec), "%s/noexec", work);
	fd = open(noexec, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd >= 0) {
		if (write(fd, "echo ran-by-sh\n", 15) != 15)
			printf("write failed\n");
		close(fd);
	}
	run("no-shebang", 0, noexec, NULL, NULL, none);
	{
		posix_spawn_file_actions_t old;
		ssize_t n;
		int p[2];

		if (pipe2(p, O_CLOEXEC) == 0) {
			posix_spawn_file_actions_init(&old);
			posix_spawn_file_actions_adddup2(&old, p[1], 1);
			err = old_posix_spawn(&pid, noexec, &old, NULL, none, environ);
			close(p[1]);
			printf("old-no-shebang spawn %s\n", err_name(err));
			n = read(p[0], buf, sizeof(buf) - 1);
			buf[n > 0 ? n : 0] = '\0';
			if (n > 0)
				printf("old-no-shebang out %s", buf);
			close(p[0]);
			if (!err)
				show_wait("old-no-shebang", pid);
			posix_spawn_file_actions_destroy(&old);
		}
	}

	snprintf(path, sizeof(path), "%s/opened", work);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 5, path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	run("action-open", 0, "/bin/sh", &fa, NULL, sh_echo);
	posix_spawn_file_actions_destroy(&fa);
	f = fopen(path, "re");
	printf("action-open file %s", f && fgets(buf, sizeof(buf), f) ? buf : "none\n");
	if (f)
		fclose(f);

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, fd);	/* issue 411 */
	posix_spawn_file_actions_adddup2(&fa, fd, 7);
	posix_spawn_file_actions_addclose(&fa, 1000);
	posix_spawn_file_actions_addchdir_np(&fa, "/");
	run("action-dup2", 0, self, &fa, NULL, report);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, 9);
	posix_spawn_file_actions_addclosefrom_np(&fa, 8);
	run("action-closefrom", 0, self, &fa, NULL, report);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addchdir_np(&fa, "/nonexistent");
	run("action-chdir-fails", 0, self, &fa, NULL, report);
	posix_spawn_file_actions_destroy(&fa);
	close(fd);

	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, SIG_IGN);
	posix_spawnattr_init(&attr);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	posix_spawnattr_setsigmask(&attr, &set);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
	run("attr-setsid-mask", 0, self, NULL, &attr, report);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	posix_spawnattr_setsigdefault(&attr, &set);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);
	run("attr-pgroup-sigdef", 0, self, NULL, &attr, report);
	posix_spawnattr_destroy(&attr);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);

	/* Arguments glibc cannot read either: whatever glibc does (it reads
	 * argv in the caller), the shim must do the same, not something else. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char **volatile bad = (char **)8;	/* hidden from the compiler */
		int e = posix_spawn(&pid, "/bin/true", NULL, NULL, bad, environ);

		_exit(e == 0 ? 0 : 100 + e % 100);
	}
	show_wait("spawn-bad-argv", pid);
	pid = fork();
	if (pid == 0) {
		char **volatile no_argv = NULL;
		int e = posix_spawn(&pid, "/bin/true", NULL, NULL, no_argv, environ);

		_exit(e == 0 ? 0 : 100 + e % 100);
	}
	show_wait("spawn-null-argv", pid);

	printf("system-exit %d\n", system("exit 3"));
	printf("system-null %d\n", system(NULL));
	printf("system-signal %d\n", system("kill -TERM $$"));
	/* SIGINT and SIGQUIT are ignored in the caller while the command runs. */
	printf("system-sigint %d\n", system("kill -INT $PPID; kill -QUIT $PPID; exit 0"));
	printf("system-sigint survived\n");

	f = popen("echo from-popen; exit 5", "r");
	printf("popen-read %s", f && fgets(buf, sizeof(buf), f) ? buf : "none\n");
	printf("popen-read status %d\n", f ? pclose(f) : -2);
	snprintf(path, sizeof(path), "cat >%s/written", work);
	f = popen(path, "w");
	if (f)
		fputs("to-popen\n", f);
	printf("popen-write status %d\n", f ? pclose(f) : -2);
	snprintf(path, sizeof(path), "%s/written", work);
	f = fopen(path, "re");
	printf("popen-write file %s", f && fgets(buf, sizeof(buf), f) ? buf : "none\n");
	if (f)
		fclose(f);
	errno = 0;
	f = popen("true", "rw");
	printf("popen-rw %s %s\n", f ? "stream" : "null", err_name(errno));
	errno = 0;
	f = popen("true", "x");
	printf("popen-x %s %s\n", f ? "stream" : "null", err_name(errno));
	f = popen("exit 0", "re");
	printf("popen-e fd-cloexec %d\n", f ? (fcntl(fileno(f), F_GETFD) & FD_CLOEXEC) : -1);
	/* fclose of a popen stream waits for its child, as pclose does. */
	printf("popen-fclose %d\n", f ? fclose(f) : -2);	/* NOLINT: as programs do */
	errno = 0;
	pid = waitpid(-1, NULL, WNOHANG);
	printf("popen-fclose reaped %d %s\n", (int)pid, err_name(errno));
}

/* A descriptor the shim cannot see, the child that reports, and whether
 * this process's flag on the descriptor moved. */
static void spawn_parent(void)
{
	long raw;
	char cmd[128], *argv[4];
	pid_t pid;
	FILE *f;

	/* syscall() is wrapped; the raw instruction is not. */
	__asm__ volatile ("syscall" : "=a"(raw) : "a"(SYS_fcntl), "D"(2),
			  "S"(F_DUPFD), "d"(40) : "rcx", "r11", "memory");
	if (raw < 0)
		return;
	printf("created %ld\n", raw);
	/* The command must not name the number: a named descriptor is kept.
	 * "4[0]" matches 40 in grep and names nothing. */
	snprintf(cmd, sizeof(cmd),
		 "ls /proc/self/fd | grep -qx '%ld[%ld]' && echo leaked || echo clean",
		 raw / 10, raw % 10);
	argv[0] = (char *)"sh";
	argv[1] = (char *)"-c";
	argv[2] = cmd;
	argv[3] = NULL;
	fflush(stdout);
	if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) == 0)
		waitpid(pid, NULL, 0);
	printf("parent-flag-after-posix_spawn %d\n", fcntl((int)raw, F_GETFD) & FD_CLOEXEC);
	fflush(stdout);
	system(cmd);
	printf("parent-flag-after-system %d\n", fcntl((int)raw, F_GETFD) & FD_CLOEXEC);
	f = popen(cmd, "r");
	if (f) {
		char buf[32];

		if (fgets(buf, sizeof(buf), f))
			fputs(buf, stdout);
		pclose(f);
	}
	printf("parent-flag-after-popen %d\n", fcntl((int)raw, F_GETFD) & FD_CLOEXEC);
}

static void *sleeper(void *arg)
{
	(void)arg;
	system("sleep 1");
	return NULL;
}

static long cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000L;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* openpty has no atomic form; the shim once made it wait, spinning, while
 * another thread was inside system(). */
static void nolock(void)
{
	pthread_t t;
	long calls = 0, cpu0 = cpu_ms();
	double end;

	pthread_create(&t, NULL, sleeper, NULL);
	usleep(100000);		/* the command is running */
	end = now_s() + 0.6;
	while (now_s() < end) {
		int m, s;

		if (openpty(&m, &s, NULL, NULL, NULL) == 0) {
			close(m);
			close(s);
			calls++;
		}
		usleep(1000);
	}
	pthread_join(t, NULL);
	printf("openpty %ld cpu-ms %ld\n", calls, cpu_ms() - cpu0);
}

static volatile int helper_stop;
static char helper_path[300];

static void *helper_loop(void *arg)
{
	char *argv[] = { (char *)"jspawnhelper", NULL };

	(void)arg;
	while (!helper_stop) {
		pid_t pid;

		if (posix_spawn(&pid, helper_path, NULL, NULL, argv, environ) == 0)
			waitpid(pid, NULL, 0);
	}
	return NULL;
}

/* The shim takes its own flags off in the JDK helper's child; no other
 * child may see that.  A listener made close-on-exec by the shim (not by
 * the program) would reach a child that overlaps, if the decision were
 * taken in the shared table. */
static void helper(const char *dir)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int l = socket(AF_INET, SOCK_STREAM, 0);
	long checked = 0, leaked = 0;
	pthread_t t[2];
	char cmd[128], num[16];
	int len;

	snprintf(helper_path, sizeof(helper_path), "%s/jspawnhelper", dir);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0)
		return;
	/* Out of the way of what ls and the shell open themselves. */
	l = fcntl(l, F_DUPFD, 50);
	if (l < 0)
		return;
	/* "3[0]"-style: the number is not named on the command line. */
	len = snprintf(num, sizeof(num), "%d", l);
	snprintf(cmd, sizeof(cmd),
		 "ls /proc/self/fd | grep -qx '%.*s[%c]' && exit 1; exit 0",
		 len - 1, num, num[len - 1]);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, helper_loop, NULL);
	for (double end = now_s() + 2; now_s() < end;) {
		int st = system(cmd);

		checked++;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
			leaked++;
	}
	helper_stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("checked %ld leaked %ld\n", checked, leaked);
}

int main(int argc, char **argv)
{
	self = argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A call through the C library first, as every program makes one
	 * before it reaches for a raw system call: the library sets itself
	 * up, and takes what is open as inherited, at the first call it sees
	 * (libnoleak(7), LIMITATIONS). */
	close(open("/dev/null", O_RDONLY | O_CLOEXEC));
	if (argc > 1 && !strcmp(argv[1], "child")) {
		child_report();
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "cases")) {
		snprintf(work, sizeof(work), "%s", argv[2]);
		spawn_cases();
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "nolock")) {
		nolock();
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "helper")) {
		helper(argv[2]);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "parent")) {
		spawn_parent();
		return 0;
	}
	fprintf(stderr, "usage: spawn cases DIR | parent | child\n");
	return 2;
}
