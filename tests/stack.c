/* SPDX-License-Identifier: MIT */
/* stack.c: how much stack each way of starting a program uses, measured by
 * painting.  The call runs on a thread whose stack this program mapped and
 * filled with a pattern; afterwards the lowest byte that no longer holds
 * the pattern says how deep the call went.  tests/stack.sh runs this with
 * and without the shim and compares: without it, the number is glibc's own
 * use, the floor.
 *
 *   stack [fds N] [leak] PATH...   print "loaded 0|1", then "PATH BYTES"
 *                                  for each PATH (or every path: "all")
 *   stack paths                    list the paths
 *
 * Each path is measured in a child of fork, as a daemon would call it: an
 * exec there is not the exec in place of the process the shim started, so
 * the process scope rewrites its environment.  The child first calls the
 * path once on its main stack (binding symbols, the shim's first-call set
 * up), then once more on the painted stack.  The exec family is given a
 * file that does not exist (fexecve: a script whose interpreter does not),
 * so the call returns and the stack can be read; what the shim does before
 * an exec (the sweep, the new environment) happens before the kernel says
 * no.  vfork-execve paints the stack of the thread that calls vfork: the
 * child runs on it.
 *
 * "fds N" opens N descriptors first; "leak" makes, before every call, a
 * descriptor the shim cannot see (a dup by a syscall instruction), so that
 * a log set in NOLEAK_LOG gets a line to write.  "loaded 1" says a probe
 * descriptor came out close-on-exec: the shim is in this process. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rawdup.h"

extern char **environ;

enum { STACK_SIZE = 256 * 1024, PATTERN = 0xa5 };

static const char missing[] = "/nonexistent/noleak-stack-missing";
static const char missing_name[] = "noleak-stack-missing";
static char script[] = "/tmp/noleak-stack-XXXXXX";
static int leak_from = -1;	/* dup'd before each call when >= 0 */
static int leak_fd = -1;

static const char *const paths[] = {
	"execve", "execv", "execvp", "execvpe", "execl", "execlp", "execle",
	"fexecve", "execveat", "vfork-execve", "posix_spawn", "posix_spawnp",
	"system", "popen",
};
enum { NPATHS = sizeof(paths) / sizeof(paths[0]) };

static void fresh_leak(void)
{
	if (leak_from < 0)
		return;
	if (leak_fd >= 0)
		close(leak_fd);
	leak_fd = raw_dup(leak_from);
}

static void wait_for(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Call path p once.  Returns 0 when it behaved as expected (an exec that
 * failed, a child that was started and waited for). */
static int call(int p)
{
	char *argv[] = { (char *)missing_name, NULL };
	const char *name = paths[p];
	pid_t pid;
	FILE *f;
	int fd, ret;

	fresh_leak();
	if (!strcmp(name, "execve"))
		return execve(missing, argv, environ) != -1;
	if (!strcmp(name, "execv"))
		return execv(missing, argv) != -1;
	if (!strcmp(name, "execvp"))
		return execvp(missing_name, argv) != -1;
	if (!strcmp(name, "execvpe"))
		return execvpe(missing_name, argv, environ) != -1;
	if (!strcmp(name, "execl"))
		return execl(missing, missing_name, (char *)NULL) != -1;
	if (!strcmp(name, "execlp"))
		return execlp(missing_name, missing_name, (char *)NULL) != -1;
	if (!strcmp(name, "execle"))
		return execle(missing, missing_name, (char *)NULL, environ) != -1;
	if (!strcmp(name, "fexecve")) {
		fd = open(script, O_RDONLY);
		if (fd < 0)
			return 1;
		ret = fexecve(fd, argv, environ) != -1;
		close(fd);
		return ret;
	}
	if (!strcmp(name, "execveat"))
		return execveat(AT_FDCWD, missing, argv, environ, 0) != -1;
	if (!strcmp(name, "vfork-execve")) {
		pid = vfork();
		if (pid == 0) {
			execve(missing, argv, environ);
			_exit(127);
		}
		if (pid < 0)
			return 1;
		wait_for(pid);
		return 0;
	}
	if (!strcmp(name, "posix_spawn") || !strcmp(name, "posix_spawnp")) {
		ret = name[11] == 'p'
			? posix_spawnp(&pid, missing_name, NULL, NULL, argv, environ)
			: posix_spawn(&pid, missing, NULL, NULL, argv, environ);
		if (ret == 0)		/* an old glibc reports through the status */
			wait_for(pid);
		return 0;
	}
	if (!strcmp(name, "system"))
		return system("true") != 0;
	if (!strcmp(name, "popen")) {
		f = popen("true", "r");
		return !f || pclose(f) != 0;
	}
	return 1;
}

struct job {
	int path;
	int failed;
	uintptr_t top;		/* an address in the thread's first frame */
};

static void *run(void *arg)
{
	struct job *j = arg;

	j->top = (uintptr_t)__builtin_frame_address(0);
	j->failed = call(j->path);
	return NULL;
}

/* The bytes of stack path p uses, on a painted thread; -1 on error. */
static long measure(int p)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *map, *base, *low;
	struct job j = { .path = p };
	pthread_attr_t attr;
	pthread_t t;
	long used = -1;

	/* A page below the stack that nothing may touch: an overflow stops
	 * the child rather than writing over something else. */
	map = mmap(NULL, STACK_SIZE + page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return -1;
	mprotect(map, page, PROT_NONE);
	base = map + page;
	memset(base, PATTERN, STACK_SIZE);
	pthread_attr_init(&attr);
	if (pthread_attr_setstack(&attr, base, STACK_SIZE) == 0 &&
	    pthread_create(&t, &attr, run, &j) == 0) {
		pthread_join(t, NULL);
		for (low = base; low < base + STACK_SIZE && *low == PATTERN; low++)
			;
		if (!j.failed && low > base)
			used = (long)(j.top - (uintptr_t)low);
		else if (!j.failed)
			used = STACK_SIZE;	/* reached the bottom */
	}
	pthread_attr_destroy(&attr);
	munmap(map, STACK_SIZE + page);
	return used;
}

/* Measure path p in a child of fork; its answer comes back on a pipe. */
static long measure_in_child(int p)
{
	int fds[2];
	long used = -1;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (call(p) == 0)	/* the first call, not measured */
			used = measure(p);
		if (write(fds[1], &used, sizeof(used)) != sizeof(used))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (pid > 0) {
		if (read(fds[0], &used, sizeof(used)) != sizeof(used))
			used = -1;
		wait_for(pid);
	}
	close(fds[0]);
	return used;
}

/* Whether the shim is here: a descriptor opened without O_CLOEXEC comes
 * out close-on-exec only under it. */
static int loaded(void)
{
	int fd = open("/dev/null", O_RDONLY), flags;

	if (fd < 0)
		return -1;
	flags = raw_getfd(fd);
	close(fd);
	return flags >= 0 && (flags & FD_CLOEXEC);
}

static int open_many(long n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (long i = 0; i < n; i++)
		if (open("/dev/null", O_RDONLY) < 0)
			return -1;
	return 0;
}

static int listener(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1))
		return -1;
	return s;
}

int main(int argc, char **argv)
{
	int status = 0, fd, i = 1;

	if (argc == 2 && !strcmp(argv[1], "paths")) {
		for (int p = 0; p < NPATHS; p++)
			puts(paths[p]);
		return 0;
	}
	if (i + 1 < argc && !strcmp(argv[i], "fds")) {
		if (open_many(atol(argv[i + 1])))
			return 2;
		i += 2;
	}
	if (i < argc && !strcmp(argv[i], "leak")) {
		leak_from = listener();
		if (leak_from < 0)
			return 2;
		i++;
	}
	/* fexecve's file: a script whose interpreter is missing (ENOENT). */
	fd = mkstemp(script);
	if (fd < 0 || dprintf(fd, "#!%s\n", missing) < 0 || fchmod(fd, 0700))
		return 2;
	close(fd);

	printf("loaded %d\n", loaded());
	fflush(stdout);
	for (; i < argc; i++)
		for (int p = 0; p < NPATHS; p++) {
			long used;

			if (strcmp(argv[i], "all") && strcmp(argv[i], paths[p]))
				continue;
			used = measure_in_child(p);
			if (used < 0)
				status = 1;
			printf("%s %ld\n", paths[p], used);
			fflush(stdout);
		}
	unlink(script);
	return status;
}
