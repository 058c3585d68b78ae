/* SPDX-License-Identifier: MIT */
/* interrupt.c: signals and errors through the wrappers, for
 * tests/interrupt.sh to run with and without the shim.
 *
 *   interrupt errno      each wrapped call made to fail, and each blocking
 *                        one interrupted by a handler without SA_RESTART:
 *                        prints "NAME RESULT ERRNO-NAME" lines, which must
 *                        be the same with and without the shim; errno set
 *                        before a call that succeeds must survive it
 *   interrupt storm S    three threads create, close and spawn for S
 *                        seconds while a timer signal every millisecond
 *                        runs a handler that forks, opens or calls
 *                        system(); prints "signals N forks N opens N
 *                        systems N" when it ends, which a deadlock stops */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void show(const char *name, long ret, int err)
{
	printf("%s %ld %s\n", name, ret, ret < 0 || err ? strerrorname_np(err) : "-");
}

/* CALL made to fail: its result and errno. */
#define FAILS(name, call) do {                   \
		errno = 0;                       \
		long ret_ = (long)(call);        \
		show(name, ret_, errno);         \
	} while (0)

/* CALL that succeeds, with errno set before: errno must be left as it was
 * (glibc's own wrappers never touch it on success). */
#define KEEPS(name, call, cleanup) do {          \
		errno = EILSEQ;                  \
		long ret_ = (long)(call);        \
		printf("%s %s errno %s\n", name, ret_ >= 0 ? "ok" : "failed", \
		       strerrorname_np(errno));  \
		cleanup;                         \
	} while (0)

static void on_alarm(int sig)
{
	(void)sig;
}

/* Interrupt the blocking CALL after 50 ms with a handler that does not
 * ask for restarting. */
#define INTERRUPTED(name, call) do {                                        \
		struct itimerval t_ = { { 0, 0 }, { 0, 50000 } };           \
		setitimer(ITIMER_REAL, &t_, NULL);                          \
		errno = 0;                                                  \
		long ret_ = (long)(call);                                   \
		show(name, ret_, errno);                                    \
	} while (0)

static int errors(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	char tmpl[] = "no-X-at-the-end", dir[] = "/tmp/noleak-interrupt-XXXXXX";
	char fifo[64], lock[64];
	int fds[2], lsock, pair[2], file, lockfd;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char *argv[] = { "/nonexistent/program", NULL }, byte;
	struct msghdr msg = { 0 };
	struct iovec iov = { &byte, 1 };
	pid_t pid, holder;

	setvbuf(stdout, NULL, _IOLBF, 0);
	FAILS("open-missing", open("/nonexistent/file", O_RDONLY));
	FAILS("open-notdir", open("/etc/hostname/x", O_RDONLY));
	FAILS("openat-badfd", openat(-5, "relative", O_RDONLY));
	FAILS("creat-dir", creat("/", 0600));
	FAILS("fopen-missing", fopen("/nonexistent/file", "r") ? 0 : -1);
	FAILS("fopen-badmode", fopen("/etc/hostname", "q") ? 0 : -1);
	FAILS("mkstemp-template", mkstemp(tmpl));
	FAILS("socket-family", socket(12345, SOCK_STREAM, 0));
	FAILS("socket-type", socket(AF_INET, 999, 0));
	FAILS("socketpair-inet", socketpair(AF_INET, SOCK_STREAM, 0, fds));
	FAILS("accept-badfd", accept(-1, NULL, NULL));
	FAILS("accept4-flags", accept4(0, NULL, NULL, 0x7fff0000));
	FAILS("dup-badfd", dup(-1));
	FAILS("dup2-badfd", dup2(-1, 5));
	FAILS("dup3-same", dup3(1, 1, 0));
	FAILS("dup3-flags", dup3(1, 9, 12345));
	FAILS("fcntl-dupfd-badfd", fcntl(-1, F_DUPFD, 0));
	FAILS("fcntl-dupfd-range", fcntl(1, F_DUPFD, -1));
	FAILS("fcntl-setfd-badfd", fcntl(-1, F_SETFD, 0));
	FAILS("pipe2-flags", pipe2(fds, 12345));
	FAILS("epoll_create-size", epoll_create(0));
	FAILS("epoll_create1-flags", epoll_create1(12345));
	FAILS("eventfd-flags", eventfd(0, 12345));
	FAILS("inotify_init1-flags", inotify_init1(12345));
	FAILS("memfd_create-flags", memfd_create("x", ~0U));
	FAILS("execve-missing", execve(argv[0], argv, environ));
	FAILS("execve-directory", execve("/", argv, environ));
	FAILS("execvp-missing", execvp("no-such-program-anywhere", argv));
	FAILS("execl-missing", execl(argv[0], argv[0], (char *)NULL));
	FAILS("fexecve-badfd", fexecve(-1, argv, environ));
	printf("posix_spawn-missing %s\n",
	       strerrorname_np(posix_spawn(&pid, argv[0], NULL, NULL, argv, environ)));
	printf("system-null %d\n", system(NULL) != 0);

	/* errno survives calls that succeed.  The last installs the
	 * handler, without SA_RESTART, that the blocking calls below meet. */
	KEEPS("open", file = open("/etc/hostname", O_RDONLY), close(file));
	KEEPS("socket", file = socket(AF_INET, SOCK_STREAM, 0), close(file));
	KEEPS("pipe", pipe(fds), (close(fds[0]), close(fds[1])));
	KEEPS("dup", file = dup(1), close(file));
	KEEPS("fcntl-dupfd", file = fcntl(1, F_DUPFD, 3), close(file));
	KEEPS("fcntl-setfd", fcntl(1, F_SETFD, 0), (void)0);
	KEEPS("eventfd", file = eventfd(0, 0), close(file));
	KEEPS("fopen", fopen("/etc/hostname", "r") ? 0 : -1, (void)0);
	KEEPS("sigaction", sigaction(SIGALRM, &sa, NULL), (void)0);

	/* Blocking calls, interrupted. */
	lsock = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lsock < 0 || bind(lsock, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(lsock, 1) || socketpair(AF_UNIX, SOCK_STREAM, 0, pair) ||
	    !mkdtemp(dir)) {
		perror("interrupt: set-up");
		return 99;
	}
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(lock, sizeof(lock), "%s/lock", dir);
	if (mkfifo(fifo, 0600)) {
		perror("interrupt: mkfifo");
		return 99;
	}
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	INTERRUPTED("accept-interrupted", accept(lsock, NULL, NULL));
	INTERRUPTED("accept4-interrupted", accept4(lsock, NULL, NULL, 0));
	INTERRUPTED("recvmsg-interrupted", recvmsg(pair[0], &msg, 0));
	INTERRUPTED("open-fifo-interrupted", open(fifo, O_RDONLY));
	INTERRUPTED("fopen-fifo-interrupted", fopen(fifo, "r") ? 0 : -1);

	/* A lock held by another process: F_SETLKW waits, and is
	 * interrupted (fcntl is variadic: the wrapper passes it on). */
	lockfd = open(fifo, O_RDWR);	/* O_RDWR on a FIFO does not block */
	unlink(fifo);
	file = open(lock, O_RDWR | O_CREAT, 0600);
	holder = fork();
	if (holder == 0) {
		fcntl(file, F_SETLK, &lk);
		pause();
		_exit(0);
	}
	usleep(100000);
	INTERRUPTED("fcntl-setlkw-interrupted", fcntl(file, F_SETLKW, &lk));
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	unlink(lock);
	rmdir(dir);
	close(lockfd);
	return 0;
}

/* ---- the storm --------------------------------------------------------- */

static volatile sig_atomic_t stop;
static volatile long signals, forks, opens, systems;

static void storm_handler(int sig)
{
	int saved = errno;
	long n = signals++;
	pid_t pid;
	int fd;

	(void)sig;
	switch (n % 3) {
	case 0:
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid > 0) {
			waitpid(pid, NULL, 0);
			forks++;
		}
		break;
	case 1:
		fd = open("/etc/hostname", O_RDONLY);
		if (fd >= 0) {
			close(fd);
			opens++;
		}
		break;
	default:
		/* Not async-signal-safe by POSIX, but daemons do it; glibc's
		 * own system() lock is never held here, since only handlers
		 * call system. */
		if (n % 30 == 2 && system("exit 0") == 0)
			systems++;
		break;
	}
	errno = saved;
}

static void *worker(void *arg)
{
	long id = (long)arg;
	char *argv[] = { "/bin/true", NULL };

	while (!stop) {
		int fds[2], fd;
		pid_t pid;

		switch (id) {
		case 0:	/* openpty creates, then the shim marks */
			fd = open("/etc/hostname", O_RDONLY);
			if (fd >= 0)
				close(fd);
			if (openpty(&fds[0], &fds[1], NULL, NULL, NULL) == 0) {
				close(fds[0]);
				close(fds[1]);
			}
			if (pipe(fds) == 0) {
				close(fds[0]);
				close(fds[1]);
			}
			break;
		case 1:
			fd = socket(AF_UNIX, SOCK_STREAM, 0);
			if (fd >= 0) {
				int d = dup(fd);

				close(fd);
				if (d >= 0)
					close(d);
			}
			break;
		default:
			if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) == 0)
				while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
					;
			break;
		}
	}
	return NULL;
}

static int storm(double seconds)
{
	struct sigaction sa = { .sa_handler = storm_handler, .sa_flags = SA_RESTART };
	struct itimerval t = { { 0, 1000 }, { 0, 1000 } };
	struct timespec start, now;
	pthread_t threads[3];

	sigaction(SIGALRM, &sa, NULL);
	for (long i = 0; i < 3; i++)
		pthread_create(&threads[i], NULL, worker, (void *)i);
	/* The workers take the signal as often as this thread: it is
	 * process-directed, and this thread mostly sleeps. */
	setitimer(ITIMER_REAL, &t, NULL);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		usleep(10000);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
	stop = 1;
	memset(&t, 0, sizeof(t));
	setitimer(ITIMER_REAL, &t, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(threads[i], NULL);
	printf("signals %ld forks %ld opens %ld systems %ld\n", signals, forks,
	       opens, systems);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "errno"))
		return errors();
	if (argc == 3 && !strcmp(argv[1], "storm"))
		return storm(atof(argv[2]));
	fprintf(stderr, "usage: interrupt errno | interrupt storm SECONDS\n");
	return 2;
}
