/* SPDX-License-Identifier: MIT */
/* reload.c: a daemon that daemonizes, reloads by re-executing itself, or
 * upgrades its binary the way nginx does, for the tests of the process
 * scope (tests/scope.sh).
 *
 *   reload OUTDIR MODE MAX
 *
 * Generation 0 listens on 127.0.0.1 (no close-on-exec: a leaky daemon)
 * and then, by MODE:
 *   inplace    re-executes itself in place, MAX times;
 *   daemonize  forks twice with setsid between, the first two exit, and
 *              the grandchild re-executes itself in place, MAX times;
 *   upgrade    forks a child that executes this program again with an
 *              environment built from scratch (TZ, NGINX="FD;"), as
 *              nginx's binary upgrade does, and waits for it.
 * A generation starts the next with the same arguments (as uWSGI and
 * nginx do), and tells it its number in RELOAD_GEN (as uWSGI's
 * UWSGI_RELOADS does).  Every generation G finds its listener again by looking through its
 * descriptors (as uWSGI does), starts "ls /proc/self/fd" with system(),
 * and writes OUTDIR/gen-G:
 *   listener FD|none     the socket it found
 *   library yes|no       whether libnoleak is mapped in it
 *   child FD...          the child's descriptors >= 3
 * and OUTDIR/done when the last generation is through. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *outdir;

static void die(const char *what)
{
	perror(what);
	exit(99);
}

static int listener_found(void)
{
	for (int fd = 3; fd < 1024; fd++) {
		int on = 0;
		socklen_t len = sizeof(on);

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on)
			return fd;
	}
	return -1;
}

static int library_mapped(void)
{
	char line[4096];
	FILE *f = fopen("/proc/self/maps", "re");
	int found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "libnoleak"))
			found = 1;
	fclose(f);
	return found;
}

static void report(int gen)
{
	char path[4096], cmd[8192], line[64];
	FILE *out, *child;
	int fd = listener_found();

	snprintf(path, sizeof(path), "%s/gen-%d", outdir, gen);
	out = fopen(path, "we");
	if (!out)
		die(path);
	fprintf(out, "listener %s\n", fd >= 0 ? (snprintf(line, sizeof(line), "%d", fd), line) : "none");
	fprintf(out, "library %s\n", library_mapped() ? "yes" : "no");
	/* The shell's own descriptors: ls would add its own. */
	snprintf(cmd, sizeof(cmd), "ls /proc/$$/fd > %s.child", path);
	if (system(cmd) != 0)
		die("system");
	snprintf(cmd, sizeof(cmd), "%s.child", path);
	child = fopen(cmd, "re");
	fprintf(out, "child");
	while (child && fgets(line, sizeof(line), child))
		if (atoi(line) >= 3)
			fprintf(out, " %d", atoi(line));
	fprintf(out, "\n");
	if (child)
		fclose(child);
	fclose(out);
}

static void again(char **argv, int gen, char **envp)
{
	char next[32];

	snprintf(next, sizeof(next), "RELOAD_GEN=%d", gen + 1);
	if (envp) {
		envp[0] = next;
		execve(argv[0], argv, envp);
	} else {
		putenv(next);
		execv(argv[0], argv);
	}
	die("exec");
}

static void done(void)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/done", outdir);
	close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
}

int main(int argc, char **argv)
{
	const char *mode;
	int gen, max;

	if (argc != 4 || argv[0][0] != '/') {
		fprintf(stderr, "usage: /path/to/reload OUTDIR MODE MAX\n");
		return 99;
	}
	outdir = argv[1];
	mode = argv[2];
	max = atoi(argv[3]);
	gen = getenv("RELOAD_GEN") ? atoi(getenv("RELOAD_GEN")) : 0;

	if (gen == 0) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		int s = socket(AF_INET, SOCK_STREAM, 0);

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (s < 0 || bind(s, (void *)&a, sizeof(a)) || listen(s, 1))
			die("listen");
		if (!strcmp(mode, "daemonize")) {
			pid_t pid = fork(), parent;

			if (pid < 0)
				die("fork");
			if (pid > 0)
				_exit(0);
			setsid();
			parent = getpid();
			pid = fork();
			if (pid < 0)
				die("fork");
			if (pid > 0)
				_exit(0);
			/* The daemon goes on in the grandchild, once its
			 * parent has gone. */
			for (int i = 0; i < 500 && getppid() == parent; i++)
				usleep(10000);
		}
	}
	report(gen);
	if (!strcmp(mode, "upgrade") && gen == 0) {
		char nginx[32];
		char *env[] = { NULL, "TZ=UTC", nginx, NULL };
		pid_t pid = fork();
		int status;

		snprintf(nginx, sizeof(nginx), "NGINX=%d;", listener_found());
		if (pid == 0)
			again(argv, gen, env);
		if (pid < 0 || waitpid(pid, &status, 0) != pid)
			die("waitpid");
		return 0;
	}
	if (!strcmp(mode, "upgrade") || gen >= max) {
		done();
		return 0;
	}
	again(argv, gen, NULL);
	return 99;
}
