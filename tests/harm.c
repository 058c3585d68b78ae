/* SPDX-License-Identifier: MIT */
/* harm.c: programs that once made the shim hang, crash or write where it
 * must not (tests/harm.sh runs each with and without the library).
 *
 *   harm                        (no arguments) print "executed": the
 *                               target of the execs below
 *   harm say WORD               print WORD
 *   harm signals                set every signal 1..SIGRTMAX to its default
 *                               (signal and sigaction), then fork and exec,
 *                               system(), and exec in place
 *   harm leak-system            a socket left inheritable, then system()
 *   harm fifo-later PATH        replace PATH by a FIFO, then leak-system
 *   harm sink PATH READY        bind a datagram socket at PATH, fill its
 *                               queue, create READY, then never read
 *   harm audit-child pipe|plain a leaky socket, then a child execs "harm say
 *                               child-output", its stdout and stderr on a
 *                               pipe (or left alone); the parent prints
 *                               what came through the pipe as "pipe: ..."
 *   harm stopped OWN LEAK       OWN sockets made close-on-exec by the
 *                               program, LEAK sockets left inheritable,
 *                               then system()
 *   harm badexec CASE           one exec call with bad arguments; prints
 *                               "CASE ret=R errno=NAME" when it returns
 *   harm badexec-child CASE     the same in a forked child, then "child
 *                               exit N" (or "child signal N")
 *
 * Every path ends by printing "done" (or "executed") on standard output, so
 * that a test can tell the program ran to the end. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char self[] = "/proc/self/exe";

static void die(const char *what)
{
	fprintf(stderr, "harm: %s: %s\n", what, strerror(errno));
	exit(99);
}

static void leaky_socket(void)
{
	if (socket(AF_UNIX, SOCK_DGRAM, 0) < 0)
		die("socket");
}

static void run_system(const char *cmd)
{
	fflush(stdout);
	if (system(cmd) != 0)
		die("system");
}

static void fork_exec(const char *word)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execl(self, "harm", "say", word, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || status != 0)
		die("child");
}

static int signals(void)
{
	for (int s = 1; s <= SIGRTMAX; s++) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		signal(s, SIG_DFL);
		sigaction(s, &sa, NULL);
	}
	fork_exec("child-ran");
	run_system("echo system-ran");
	fflush(stdout);
	execl(self, "harm", "say", "done", (char *)NULL);
	die("execl");
	return 1;
}

static int sink(const char *path, const char *ready)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_DGRAM, 0), c = socket(AF_UNIX, SOCK_DGRAM, 0);
	int n = 0;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (s < 0 || c < 0 || bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    connect(c, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("sink socket");
	/* Until the receiver's queue is full: a blocking sender now waits. */
	while (send(c, "x", 1, MSG_DONTWAIT) == 1)
		n++;
	if (errno != EAGAIN || n == 0)
		die("filling the queue");
	close(open(ready, O_WRONLY | O_CREAT, 0600));
	for (;;)
		pause();
	return 0;
}

static int audit_child(int with_pipe)
{
	char buf[4096], *line, *save;
	int p[2], status;
	ssize_t got, len = 0;
	pid_t pid;

	leaky_socket();
	if (with_pipe && pipe2(p, O_CLOEXEC) < 0)
		die("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (with_pipe && (dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0))
			_exit(126);
		execl(self, "harm", "say", "child-output", (char *)NULL);
		_exit(127);
	}
	if (with_pipe) {
		close(p[1]);
		while ((got = read(p[0], buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
			len += got;
		buf[len] = '\0';
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			printf("pipe: %s\n", line);
	}
	if (waitpid(pid, &status, 0) != pid || status != 0)
		die("child");
	printf("done\n");
	return 0;
}

static int stopped(int own, int leak)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (int i = 0; i < own; i++)
		if (socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0) < 0)
			die("socket");
	for (int i = 0; i < leak; i++)
		leaky_socket();
	run_system("true");
	printf("done\n");
	return 0;
}

/* One exec with bad arguments; its result, or "executed" from the new
 * image.  The invalid pointers: 1, and a page with no access. */
static int badexec(const char *c)
{
	char **none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *argv[] = { "harm", NULL };
	char *bad_argv[] = { "harm", (char *)1, NULL };
	char *bad_envp[] = { "A=1", (char *)1, NULL };
	char *none_envp[] = { "A=1", (char *)none, NULL };
	/* glibc declares these arguments nonnull: volatile hides the NULL
	 * from the compiler, which would otherwise warn or assume. */
	char **volatile null_vec = NULL;
	const char *volatile null_path = NULL;
	char **volatile one = (char **)1;
	int fd = open(self, O_RDONLY | O_CLOEXEC), ret;

	if (none == MAP_FAILED || fd < 0)
		die("setup");
	fflush(stdout);
	errno = 0;
	if (!strcmp(c, "execve-null-argv"))
		ret = execve(self, null_vec, environ);
	else if (!strcmp(c, "execve-null-envp"))
		ret = execve(self, argv, null_vec);
	else if (!strcmp(c, "execve-bad-argv"))
		ret = execve(self, one, environ);
	else if (!strcmp(c, "execve-bad-envp"))
		ret = execve(self, argv, one);
	else if (!strcmp(c, "execve-noaccess-argv"))
		ret = execve(self, none, environ);
	else if (!strcmp(c, "execve-noaccess-envp"))
		ret = execve(self, argv, none);
	else if (!strcmp(c, "execve-bad-arg-string"))
		ret = execve(self, bad_argv, environ);
	else if (!strcmp(c, "execve-bad-env-string"))
		ret = execve(self, argv, bad_envp);
	else if (!strcmp(c, "execve-noaccess-env-string"))
		ret = execve(self, argv, none_envp);
	else if (!strcmp(c, "execv-bad-argv"))
		ret = execv(self, one);
	else if (!strcmp(c, "execveat-null-path"))
		ret = execveat(fd, null_path, argv, environ, AT_EMPTY_PATH);
	else if (!strcmp(c, "execveat-bad-path"))
		ret = execveat(fd, (char *)1, argv, environ, AT_EMPTY_PATH);
	else if (!strcmp(c, "execveat-empty-path"))
		ret = execveat(fd, "", argv, environ, AT_EMPTY_PATH);
	else if (!strcmp(c, "execveat-empty-no-flag"))
		ret = execveat(fd, "", argv, environ, 0);
	else if (!strcmp(c, "execveat-bad-argv"))
		ret = execveat(fd, "", one, environ, AT_EMPTY_PATH);
	else if (!strcmp(c, "fexecve-bad-fd"))
		ret = fexecve(999, argv, environ);
	else if (!strcmp(c, "fexecve-null-argv"))
		ret = fexecve(fd, null_vec, environ);
	else if (!strcmp(c, "fexecve-bad-envp"))
		ret = fexecve(fd, argv, one);
	else if (!strcmp(c, "execvp-null-argv"))
		ret = execvp(self, null_vec);
	else if (!strcmp(c, "execvp-missing-null-argv"))
		ret = execvp("harm-no-such-program", null_vec);
	else if (!strcmp(c, "execvpe-null-argv"))
		ret = execvpe(self, null_vec, environ);
	else if (!strcmp(c, "execvpe-bad-envp"))
		ret = execvpe(self, argv, one);
	else {
		fprintf(stderr, "harm: no case %s\n", c);
		return 2;
	}
	printf("%s ret=%d errno=%s\n", c, ret, strerrorname_np(errno) ? strerrorname_np(errno) : "0");
	fflush(stdout);	/* badexec-child ends with _exit */
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		printf("executed\n");
		return 0;
	}
	if (!strcmp(argv[1], "say") && argc == 3) {
		printf("%s\n", argv[2]);
		return 0;
	}
	if (!strcmp(argv[1], "signals"))
		return signals();
	if (!strcmp(argv[1], "leak-system")) {
		leaky_socket();
		run_system("true");
		printf("done\n");
		return 0;
	}
	if (!strcmp(argv[1], "fifo-later") && argc == 3) {
		if ((unlink(argv[2]) < 0 && errno != ENOENT) || mkfifo(argv[2], 0600) < 0)
			die("mkfifo");
		leaky_socket();
		run_system("true");
		printf("done\n");
		return 0;
	}
	if (!strcmp(argv[1], "sink") && argc == 4)
		return sink(argv[2], argv[3]);
	if (!strcmp(argv[1], "audit-child") && argc == 3)
		return audit_child(!strcmp(argv[2], "pipe"));
	if (!strcmp(argv[1], "stopped") && argc == 4)
		return stopped(atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(argv[1], "badexec") && argc == 3)
		return badexec(argv[2]);
	if (!strcmp(argv[1], "badexec-child") && argc == 3) {
		int status;
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid == 0)
			_exit(badexec(argv[2]));
		if (pid < 0 || waitpid(pid, &status, 0) != pid)
			die("fork");
		printf("child %s %d\n", WIFEXITED(status) ? "exit" : "signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return 0;
	}
	fprintf(stderr, "harm: bad arguments\n");
	return 2;
}
