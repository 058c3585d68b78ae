/* tiny.c: a program the library cannot be loaded into, built statically
 * (tests/tiny-static) and 32-bit (tests/tiny32) where the toolchain can.
 * It opens a file without close-on-exec, as a leaky daemon would, says so,
 * then runs COMMAND and exits with its status.
 *
 *   tiny COMMAND [ARG]... */
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd = open("/etc/hostname", O_RDONLY), status;
	pid_t pid;

	if (argc < 2 || fd < 0)
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
