/* SPDX-License-Identifier: MIT */
/* tiny.c: a program the library cannot be loaded into, built statically
 * (tests/tiny-static) and 32-bit (tests/tiny32) where the toolchain can.
 * It opens a file without close-on-exec, as a leaky daemon would, says so,
 * then runs COMMAND and exits with its status.  It runs a command only
 * when no tiny above it did (TINY_DEPTH in the environment), so a script
 * whose interpreter is tiny, which makes tiny run the script again, ends
 * at the second level whatever the resource limits.
 *
 *   tiny COMMAND [ARG]... */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd = open("/etc/hostname", O_RDONLY), status;
	pid_t pid;

	if (argc < 2 || fd < 0)
		return 2;
	if (getenv("TINY_DEPTH")) {
		fprintf(stderr, "tiny: not run again under itself: %s\n", argv[1]);
		return 3;
	}
	if (setenv("TINY_DEPTH", "1", 1) != 0)
		return 2;
	printf("tiny: opened %d\n", fd);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 2;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}
