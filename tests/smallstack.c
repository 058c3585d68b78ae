/* SPDX-License-Identifier: MIT */
/* smallstack.c: starting programs from places with little stack, for
 * tests/smallstack.sh to run with and without the shim: posix_spawn,
 * posix_spawnp, system and popen on a thread with a 16 KiB stack; a vfork
 * child of a 32 KiB thread with 4,000 variables; a SIGSEGV or SIGUSR1
 * handler on an 8 KiB sigaltstack that forks and execs, or calls
 * posix_spawn; clone(CLONE_VM | CLONE_VFORK) children on 16 KiB of the
 * heap between two canaries, with the caller's environment and with 4,000
 * more variables.  The shim of 5ab4e41, whose sweeps and reports ran on
 * the caller's stack, crashed or overran most of them (tests/smallstack.sh
 * says which).
 *
 *   smallstack cases        list the cases
 *   smallstack CASE         make a descriptor the shim cannot see (a raw
 *                           dup system call, no close-on-exec), print
 *                           "CASE leak FD socket:[INODE]", run the case,
 *                           then print "result CASE ok" or
 *                           "result CASE FAIL: why"
 *   smallstack list CASE    the child every case starts: prints
 *                           "CASE fds FD=TARGET..." for its open descriptors
 *
 * Nothing runs stdio or the heap on the small stacks: what the case needs
 * is prepared on the main thread, and results are printed there. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rawdup.h"

extern char **environ;

enum {
	THREAD_SMALL = 16 * 1024,	/* case 1 */
	THREAD_VFORK = 32 * 1024,	/* case 2 */
	NVARS = 4000,
	ALT_STACK = 8 * 1024,		/* case 3 */
	CLONE_STACK = 16 * 1024,	/* case 4 */
	CANARY = 4096,
	CANARY_BYTE = 0x5a,
	PAINT_BYTE = 0xa5,
};

static const char *const cases[] = {
	"thread16k-posix_spawn", "thread16k-posix_spawnp", "thread16k-system",
	"thread16k-popen", "vfork-env4000", "sigsegv-fork-execve",
	"sigusr1-fork-execve", "sigsegv-posix_spawn", "sigusr1-posix_spawn",
	"clone16k-execve", "clone16k-execve-env4000",
};
enum { NCASES = sizeof(cases) / sizeof(cases[0]) };

static const char missing[] = "/nonexistent/noleak-smallstack-missing";
static char self[PATH_MAX];
static char command[PATH_MAX + 128];	/* system and popen: "SELF list CASE" */
static char *child_argv[4];		/* SELF list CASE */
static char popen_out[4096];		/* what popen's child printed */
static size_t popen_len;

/* ---- the child ---------------------------------------------------------- */

/* Print "CASE fds FD=TARGET ...": every descriptor but the directory's. */
static int list(const char *name)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d)
		return 2;
	printf("%s fds", name);
	while ((e = readdir(d))) {
		char link[300], target[PATH_MAX];
		ssize_t n;

		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		printf(" %s=%s", e->d_name, target);
	}
	printf("\n");
	closedir(d);
	return fflush(stdout) ? 1 : 0;
}

/* ---- the leaky descriptor ----------------------------------------------- */

/* A listening socket (close-on-exec) and its raw dup (not): the dup is
 * what a child must not get.  Prints "CASE leak FD TARGET". */
static int make_leak(const char *name)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), fd;
	char link[64], target[128];
	ssize_t n;

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1))
		return -1;
	fd = raw_dup(s);
	if (fd < 0 || (fcntl(fd, F_GETFD) & FD_CLOEXEC))
		return -1;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return -1;
	target[n] = '\0';
	printf("%s leak %d %s\n", name, fd, target);
	return fflush(stdout) ? -1 : fd;
}

/* ---- what runs on the small stacks -------------------------------------- */

enum how { POSIX_SPAWN, POSIX_SPAWNP, SYSTEM, POPEN, VFORK_EXECVE, FORK_EXECVE };

struct job {
	enum how how;
	char **envp;		/* vfork-execve's */
	int err;		/* the call's error, 0 if none */
	int status;		/* the child's wait status */
	int on_altstack;	/* the handler ran on the sigaltstack */
	int ran;
};

/* Wait for pid into *status; 0 or an errno. */
static int wait_child(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return errno;
	return 0;
}

/* Start the listing child the job's way and wait for it: no stdio, no
 * malloc of its own (popen's stream is glibc's business). */
static void start(struct job *j)
{
	pid_t pid;
	FILE *f;
	ssize_t n;

	j->err = 0;
	j->status = -1;
	switch (j->how) {
	case POSIX_SPAWN:
	case POSIX_SPAWNP:
		j->err = j->how == POSIX_SPAWN
			? posix_spawn(&pid, self, NULL, NULL, child_argv, environ)
			: posix_spawnp(&pid, "smallstack", NULL, NULL, child_argv, environ);
		if (!j->err)
			j->err = wait_child(pid, &j->status);
		break;
	case SYSTEM:
		j->status = system(command);
		if (j->status < 0)
			j->err = errno;
		break;
	case POPEN:
		f = popen(command, "r");
		if (!f) {
			j->err = errno ? errno : ENOMEM;
			break;
		}
		while (popen_len < sizeof(popen_out) &&
		       (n = read(fileno(f), popen_out + popen_len,
				 sizeof(popen_out) - popen_len)) != 0) {
			if (n < 0 && errno != EINTR)
				break;
			if (n > 0)
				popen_len += (size_t)n;
		}
		j->status = pclose(f);
		if (j->status < 0)
			j->err = errno;
		break;
	case VFORK_EXECVE:
		pid = vfork();
		if (pid == 0) {
			execve(self, child_argv, j->envp);
			_exit(127);
		}
		j->err = pid < 0 ? errno : wait_child(pid, &j->status);
		break;
	case FORK_EXECVE:
		pid = fork();
		if (pid == 0) {
			execve(self, child_argv, environ);
			_exit(127);
		}
		j->err = pid < 0 ? errno : wait_child(pid, &j->status);
		break;
	}
	j->ran = 1;
}

static void *thread_main(void *arg)
{
	start(arg);
	return NULL;
}

/* Run j on a thread whose stack is size bytes; 0 or an errno. */
static int on_thread(struct job *j, size_t size)
{
	pthread_attr_t attr;
	pthread_t t;
	int err;

	pthread_attr_init(&attr);
	err = pthread_attr_setstacksize(&attr, size);
	if (!err)
		err = pthread_create(&t, &attr, thread_main, j);
	if (!err)
		err = pthread_join(t, NULL);
	pthread_attr_destroy(&attr);
	return err;
}

static struct job *signal_job;

static void handler(int sig)
{
	stack_t ss;
	int saved = errno;

	(void)sig;
	signal_job->on_altstack = sigaltstack(NULL, &ss) == 0 &&
				  (ss.ss_flags & SS_ONSTACK);
	start(signal_job);
	errno = saved;
}

/* Raise sig with a handler on an 8 KiB sigaltstack (a guard page below
 * it), the handler running j; 0 or an errno. */
static int on_altstack(struct job *j, int sig)
{
	long page = sysconf(_SC_PAGESIZE);
	struct sigaction sa = { .sa_handler = handler, .sa_flags = SA_ONSTACK };
	stack_t ss = { .ss_size = ALT_STACK };
	char *map;

	map = mmap(NULL, ALT_STACK + page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || mprotect(map, page, PROT_NONE))
		return errno;
	ss.ss_sp = map + page;
	signal_job = j;
	sigemptyset(&sa.sa_mask);
	if (sigaltstack(&ss, NULL) || sigaction(sig, &sa, NULL))
		return errno;
	raise(sig);
	return 0;
}

/* ---- case 4: clone on 16 KiB of the heap ------------------------------- */

struct clone_job {
	const char *path;
	char **argv;
	char **envp;
};

static int clone_child(void *arg)
{
	const struct clone_job *c = arg;

	execve(c->path, c->argv, c->envp);
	_exit(127);
}

/* Lines in /proc/self/maps, read without stdio or the heap. */
static long mappings(void)
{
	static char buf[65536];
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	long lines = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(fd);
	return lines;
}

static int intact(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != CANARY_BYTE)
			return 0;
	return 1;
}

/* Three children on one malloc'd stack between two canaries: /bin/true,
 * the listing child, and a missing file (execve returns, _exit(127)); each
 * given envp. */
static void clone_case(const char *name, char **envp, char *why, size_t whylen)
{
	char *true_argv[] = { (char *)"true", NULL };
	char *missing_argv[] = { (char *)"missing", NULL };
	const struct clone_job runs[] = {
		{ "/bin/true", true_argv, envp },
		{ self, child_argv, envp },
		{ missing, missing_argv, envp },
	};
	const int want[] = { 0, 0, 127 };
	unsigned char *before, *stack, *after, *low;
	long maps_before, maps_after;
	size_t used[3] = { 0 };

	before = malloc(CANARY);
	stack = malloc(CLONE_STACK);
	after = malloc(CANARY);
	if (!before || !stack || !after) {
		snprintf(why, whylen, "malloc failed");
		return;
	}
	memset(before, CANARY_BYTE, CANARY);
	memset(after, CANARY_BYTE, CANARY);
	maps_before = mappings();
	for (int r = 0; r < 3; r++) {
		int status;
		pid_t pid;

		memset(stack, PAINT_BYTE, CLONE_STACK);
		pid = clone(clone_child, stack + CLONE_STACK,
			    CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)&runs[r]);
		if (pid < 0 || wait_child(pid, &status)) {
			snprintf(why, whylen, "%s: clone or wait: %s", runs[r].path,
				 strerror(errno));
			return;
		}
		for (low = stack; low < stack + CLONE_STACK && *low == PAINT_BYTE; low++)
			;
		used[r] = (size_t)(stack + CLONE_STACK - low);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != want[r]) {
			snprintf(why, whylen, "%s: child status 0x%x, want exit %d",
				 runs[r].path, status, want[r]);
			return;
		}
	}
	maps_after = mappings();
	/* Not compared: how deep each child went, and the mappings. */
	fprintf(stderr, "%s: bytes of the %d-byte stack used: true %zu, "
		"list %zu, missing %zu; mappings %ld before, %ld after\n", name,
		CLONE_STACK, used[0], used[1], used[2], maps_before, maps_after);
	if (!intact(before, CANARY) || !intact(after, CANARY)) {
		snprintf(why, whylen, "a canary beside the stack was overwritten");
		return;
	}
	if (maps_after != maps_before) {
		snprintf(why, whylen, "the children left %ld mappings in the parent",
			 maps_after - maps_before);
		return;
	}
	/* free checks the chunks' headers: a damaged heap aborts here. */
	free(after);
	free(stack);
	free(before);
	free(malloc(3 * CANARY));
}

/* ---- the cases ---------------------------------------------------------- */

/* "" when the job did what it should, else why not. */
static void judge(const struct job *j, int err, char *why, size_t whylen)
{
	if (err)
		snprintf(why, whylen, "setting up: %s", strerror(err));
	else if (!j->ran)
		snprintf(why, whylen, "the call never ran");
	else if (j->err)
		snprintf(why, whylen, "the call failed: %s", strerror(j->err));
	else if (!WIFEXITED(j->status) || WEXITSTATUS(j->status) != 0)
		snprintf(why, whylen, "child status 0x%x", j->status);
}

/* An environment of the caller's plus NVARS more. */
static char **big_env(void)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + NVARS + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (; k < n; k++)
		env[k] = environ[k];
	for (int i = 0; i < NVARS; i++)
		if (asprintf(&env[k++], "NOLEAK_SMALLSTACK_%d=value-%d", i, i) < 0)
			return NULL;
	return env;
}

static int run_case(const char *name)
{
	struct job j = { 0 };
	char why[256] = "";
	size_t small = THREAD_SMALL;
	int err = 0;

	if (make_leak(name) < 0) {
		printf("result %s FAIL: no leaky descriptor\n", name);
		return 1;
	}
	child_argv[0] = self;
	child_argv[1] = (char *)"list";
	child_argv[2] = (char *)name;
	child_argv[3] = NULL;
	snprintf(command, sizeof(command), "'%s' list %s", self, name);
	/* The smallest stack glibc gives a thread, if larger than 16 KiB. */
	if ((size_t)PTHREAD_STACK_MIN > small)
		small = PTHREAD_STACK_MIN;

	if (!strncmp(name, "thread16k-", 10)) {
		const char *how = name + 10;

		j.how = !strcmp(how, "posix_spawn") ? POSIX_SPAWN
			: !strcmp(how, "posix_spawnp") ? POSIX_SPAWNP
			: !strcmp(how, "system") ? SYSTEM : POPEN;
		err = on_thread(&j, small);
		judge(&j, err, why, sizeof(why));
		if (j.how == POPEN && popen_len)
			fwrite(popen_out, 1, popen_len, stdout);
	} else if (!strcmp(name, "vfork-env4000")) {
		j.how = VFORK_EXECVE;
		j.envp = big_env();
		err = j.envp ? on_thread(&j, THREAD_VFORK) : ENOMEM;
		judge(&j, err, why, sizeof(why));
	} else if (!strncmp(name, "sig", 3)) {
		int sig = !strncmp(name, "sigsegv-", 8) ? SIGSEGV : SIGUSR1;

		j.how = strstr(name, "-fork-execve") ? FORK_EXECVE : POSIX_SPAWN;
		err = on_altstack(&j, sig);
		judge(&j, err, why, sizeof(why));
		if (!why[0] && !j.on_altstack)
			snprintf(why, sizeof(why), "the handler was not on the sigaltstack");
	} else if (!strncmp(name, "clone16k-execve", 15)) {
		char **envp = strstr(name, "-env4000") ? big_env() : environ;

		fflush(stdout);
		if (envp)
			clone_case(name, envp, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "no memory for the environment");
	} else {
		fprintf(stderr, "smallstack: no case %s\n", name);
		return 2;
	}
	if (why[0])
		printf("result %s FAIL: %s\n", name, why);
	else
		printf("result %s ok\n", name);
	return why[0] ? 1 : 0;
}

int main(int argc, char **argv)
{
	ssize_t n;
	char *slash, path[PATH_MAX + 32];
	const char *old;

	if (argc == 3 && !strcmp(argv[1], "list"))
		return list(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "cases")) {
		for (int i = 0; i < NCASES; i++)
			puts(cases[i]);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: smallstack cases | CASE | list CASE\n");
		return 2;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 2;
	self[n] = '\0';
	/* posix_spawnp finds this program along PATH. */
	slash = strrchr(self, '/');
	old = getenv("PATH");
	snprintf(path, sizeof(path), "%.*s:%s", (int)(slash - self), self,
		 old ? old : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	/* Every line out before a child writes to the same file. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	return run_case(argv[1]);
}
