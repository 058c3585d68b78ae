/* SPDX-License-Identifier: MIT */
/* attack.c: cases where the shim's own posix_spawn, system, popen, pclose
 * and fclose (shim/spawn.c, shim/wrap-exec.c) answer differently from
 * glibc's.  Each case prints one line that does not depend on pids or
 * timing; tests/attack.sh runs each with and without the library and
 * compares the lines.
 *
 *   attack CASE
 *
 * Cases:
 *   bad-argv     posix_spawn with an argv string at an unmapped address
 *   bad-envp     posix_spawn with an envp string at an unmapped address
 *   bad-envvec   posix_spawn with envp itself at an unmapped address
 *   bad-argvp    posix_spawnp with an argv string at an unmapped address
 *   cancel-system  pthread_cancel of a thread waiting in system()
 *   cancel-pclose  pthread_cancel of a thread waiting in pclose()
 *   popen-many   300 popen streams open at once
 *   fclose-status  what fclose of a popen stream returns
 *   no-clone     seccomp denies clone (but not clone3), then posix_spawn
 *   redirect-fd  system("... <&3") with a descriptor the program opened */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

/* Unreadable argument vectors and fclose of a popen stream are what this
 * file tests: the compiler's warnings about them are the point. */
#pragma GCC diagnostic ignored "-Wstringop-overread"
#pragma GCC diagnostic ignored "-Wmismatched-dealloc"

extern char **environ;

/* An address that is never mapped (the first page). */
#define NOWHERE ((char *)16)

static void spawn_case(int use_path, char *const argv[], char *const envp[])
{
	pid_t pid;
	int err = use_path ? posix_spawnp(&pid, "true", NULL, NULL, argv, envp)
			   : posix_spawn(&pid, "/bin/true", NULL, NULL, argv, envp);

	if (!err)
		waitpid(pid, NULL, 0);
	printf("spawn returned %s\n", err ? strerror(err) : "0");
}

static void *in_system(void *arg)
{
	(void)arg;
	system("exec sleep 3");
	return NULL;
}

static FILE *stream;

static void *in_pclose(void *arg)
{
	(void)arg;
	pclose(stream);
	return NULL;
}

/* After a thread was cancelled while waiting for a child: whether that
 * thread finished its call, the dispositions of SIGINT and SIGQUIT, and
 * whether the child was left behind (running, or a zombie). */
static void after_cancel(pthread_t t, int grace)
{
	struct sigaction intr, quit;
	void *res;
	pid_t left;

	pthread_join(t, &res);
	sleep(grace);
	sigaction(SIGINT, NULL, &intr);
	sigaction(SIGQUIT, NULL, &quit);
	left = waitpid(-1, NULL, WNOHANG);
	printf("SIGINT %s, SIGQUIT %s, child %s\n",
	       intr.sa_handler == SIG_IGN ? "ignored" : "default",
	       quit.sa_handler == SIG_IGN ? "ignored" : "default",
	       left == 0 ? "still running" : left > 0 ? "left as a zombie" : "collected");
}

static void no_clone(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	char *argv[] = { (char *)"true", NULL };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		printf("no seccomp\n");
		return;
	}
	spawn_case(0, argv, environ);
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	char *bad_argv[] = { (char *)"true", NOWHERE, NULL };
	char *good_argv[] = { (char *)"true", NULL };
	char *bad_envp[] = { (char *)"A=1", NOWHERE, NULL };
	pthread_t t;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(c, "bad-argv")) {
		spawn_case(0, bad_argv, environ);
	} else if (!strcmp(c, "bad-envp")) {
		spawn_case(0, good_argv, bad_envp);
	} else if (!strcmp(c, "bad-envvec")) {
		spawn_case(0, good_argv, (char **)NOWHERE);
	} else if (!strcmp(c, "bad-argvp")) {
		spawn_case(1, bad_argv, environ);
	} else if (!strcmp(c, "cancel-system")) {
		pthread_create(&t, NULL, in_system, NULL);
		sleep(1);
		pthread_cancel(t);
		after_cancel(t, 0);
	} else if (!strcmp(c, "cancel-pclose")) {
		stream = popen("sleep 2", "r");
		pthread_create(&t, NULL, in_pclose, NULL);
		sleep(1);
		pthread_cancel(t);
		after_cancel(t, 2);
	} else if (!strcmp(c, "popen-many")) {
		static FILE *f[300];
		int n, bad = 0;
		struct rlimit rl = { 4096, 4096 };

		setrlimit(RLIMIT_NOFILE, &rl);
		for (n = 0; n < 300; n++)
			if (!(f[n] = popen("exit 0", "r")))
				break;
		printf("opened %d streams%s%s\n", n, n < 300 ? ", then " : "",
		       n < 300 ? strerror(errno) : "");
		for (int i = 0; i < n; i++)
			bad += pclose(f[i]) != 0;
		printf("pclose failed %d times\n", bad);
	} else if (!strcmp(c, "fclose-status")) {
		FILE *f = popen("exit 3", "r");
		int r = f ? fclose(f) : -2;	/* NOLINT: as programs do */

		printf("fclose of popen(\"exit 3\") returned %#x\n", r);
	} else if (!strcmp(c, "no-clone")) {
		no_clone();
	} else if (!strcmp(c, "redirect-fd")) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd != 3) {
			printf("descriptor 3 was taken\n");
			return 1;
		}
		printf("system returned %#x\n",
		       system("cat <&3 2>/dev/null && echo read-fd-3 || echo no-fd-3"));
	} else {
		fprintf(stderr, "usage: attack CASE\n");
		return 2;
	}
	return 0;
}
