/* SPDX-License-Identifier: MIT */
/* watch.c: noleak watch, the statistical leak detector people build by
 * hand from lsof.
 *
 *   noleak watch [--interval S] [--duration S] [--csv FILE] PID
 *
 * Every interval it counts the process's descriptors (/proc/PID/fd) and
 * its zombie children, with a live line on a terminal, until the duration
 * is over, the process exits or the user interrupts; then it prints a
 * chart of the count over time and a verdict:
 *
 *   stable    no trend worth a descriptor over the run;
 *   plateau   it grew, then stopped growing (a pool filling up, a cache);
 *   growing   it still grows, at R descriptors a minute.
 *
 * The trend is the Theil-Sen slope (the median of the slopes between
 * every pair of samples), which a sawtooth of opens and closes moves far
 * less than it moves a least-squares fit.  Exit status: 0 stable or
 * plateau, 1 growing, 2 on error. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "inspect.h"

struct sample {
	double t;		/* seconds since the first sample */
	long fds;
	long zombies;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The number of open descriptors of pid, or -1 when it cannot be read. */
static long count_fds(pid_t pid)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	long n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d)))
		if (isdigit((unsigned char)e->d_name[0]))
			n++;
	closedir(d);
	return n;
}

/* The children of pid that have exited and not been waited for. */
static long count_zombies(pid_t pid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	long n = 0;

	while (d && (e = readdir(d))) {
		char state;
		pid_t ppid;

		if (isdigit((unsigned char)e->d_name[0]) &&
		    inspect_stat((pid_t)atoi(e->d_name), &state, &ppid, NULL) == 0 &&
		    ppid == pid && state == 'Z')
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The Theil-Sen slope of samples [from, to), per second: the median of the
 * slopes between pairs.  Long runs are thinned to at most 400 samples. */
static double slope(const struct sample *s, size_t from, size_t to)
{
	size_t n = to - from, step = n > 400 ? n / 400 + 1 : 1, m = 0;
	double *v, result;

	if (n < 2)
		return 0;
	v = malloc(((n / step + 1) * (n / step + 1)) / 2 * sizeof(*v) + sizeof(*v));
	if (!v)
		return 0;
	for (size_t i = from; i < to; i += step)
		for (size_t j = i + step; j < to; j += step)
			if (s[j].t > s[i].t)
				v[m++] = (double)(s[j].fds - s[i].fds) / (s[j].t - s[i].t);
	if (!m) {
		free(v);
		return 0;
	}
	qsort(v, m, sizeof(*v), cmp_double);
	result = m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
	free(v);
	return result;
}

/* A chart of the count over time: 60 columns, 12 rows. */
static void chart(const struct sample *s, size_t n)
{
	enum { COLS = 60, ROWS = 12 };
	long lo = s[0].fds, hi = s[0].fds;
	char grid[ROWS][COLS + 1];

	for (size_t i = 0; i < n; i++) {
		if (s[i].fds < lo)
			lo = s[i].fds;
		if (s[i].fds > hi)
			hi = s[i].fds;
	}
	if (hi == lo)
		hi = lo + 1;
	memset(grid, ' ', sizeof(grid));
	for (size_t i = 0; i < n; i++) {
		size_t col = n > 1 ? i * (COLS - 1) / (n - 1) : 0;
		long row = (s[i].fds - lo) * (ROWS - 1) / (hi - lo);

		grid[ROWS - 1 - row][col] = '*';
	}
	printf("descriptors\n");
	for (int r = 0; r < ROWS; r++) {
		long label = hi - (long)r * (hi - lo) / (ROWS - 1);

		grid[r][COLS] = '\0';
		printf("%8ld |%s\n", label, grid[r]);
	}
	printf("%8s +", "");
	for (int c = 0; c < COLS; c++)
		putchar('-');
	printf("\n%8s 0s%*s%.0fs\n", "", COLS - 3, "", s[n - 1].t);
}

static void usage(FILE *to)
{
	fprintf(to,
		"Usage: noleak watch [OPTION]... PID\n"
		"Sample the descriptor count of PID over time, and say whether it leaks.\n"
		"\n"
		"  -i, --interval=S   seconds between samples (default 1)\n"
		"  -d, --duration=S   seconds to watch (default: until interrupted or\n"
		"                     the process exits)\n"
		"      --csv=FILE     write the samples to FILE (time,fds,zombies)\n"
		"  -h, --help         display this help and exit\n"
		"\n"
		"The verdict is stable, plateau, or growing with its rate per minute,\n"
		"from a trend that a sawtooth of opens and closes hardly moves.\n"
		"Exit status: 0 stable or plateau, 1 growing, 2 on error.  See noleak(1).\n");
}

/* A positive number of seconds, or -1. */
static double seconds(const char *opt, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v > 0) || v > 86400 * 365) {
		inspect_fail("invalid %s '%s': expected a number of seconds above 0", opt, arg);
		return -1;
	}
	return v;
}

int watch_main(int argc, char **argv)
{
	double interval = 1, duration = 0, t0, next;
	const char *csv = NULL;
	struct sample *s = NULL;
	size_t n = 0, cap = 0;
	pid_t pid = 0;
	static const struct option longs[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "csv", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int tty = isatty(STDOUT_FILENO), ended = 0, c;
	struct sigaction sa = { .sa_handler = on_signal };
	FILE *out = NULL;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hi:d:", longs, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'i':
			if ((interval = seconds("interval", optarg)) < 0)
				return 2;
			break;
		case 'd':
			if ((duration = seconds("duration", optarg)) < 0)
				return 2;
			break;
		case 'c':
			csv = optarg;
			break;
		case ':':
			inspect_usage_error("option '%s' requires an argument", argv[optind - 1]);
			return 2;
		default:
			inspect_usage_error("unrecognized option '%s'", argv[optind - 1]);
			return 2;
		}
	}
	if (optind == argc) {
		inspect_usage_error("no process given");
		return 2;
	}
	if (argc - optind > 1) {
		inspect_usage_error("one process at a time: '%s'", argv[optind + 1]);
		return 2;
	}
	{
		char *end;
		long v = strtol(argv[optind], &end, 10);

		if (*end || end == argv[optind] || v < 1 || v > 0x7fffffff) {
			inspect_fail("invalid process '%s': expected a pid", argv[optind]);
			return 2;
		}
		pid = (pid_t)v;
	}
	if (count_fds(pid) < 0) {
		inspect_fail("cannot read the descriptors of process %d: %s", (int)pid,
			     errno == ENOENT ? "no such process" : strerror(errno));
		return 2;
	}
	if (csv && !(out = fopen(csv, "we"))) {
		inspect_fail("cannot write '%s': %s", csv, strerror(errno));
		return 2;
	}
	if (out)
		fprintf(out, "time,fds,zombies\n");
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	t0 = next = now();
	while (!interrupted) {
		long fds = count_fds(pid);
		double t = now() - t0;

		if (fds < 0) {
			ended = 1;
			break;
		}
		if (n == cap) {
			struct sample *more;

			cap = cap ? cap * 2 : 256;
			more = realloc(s, cap * sizeof(*s));
			if (!more) {
				free(s);
				inspect_fail("out of memory");
				return 2;
			}
			s = more;
		}
		s[n].t = t;
		s[n].fds = fds;
		s[n].zombies = count_zombies(pid);
		if (out)
			fprintf(out, "%.3f,%ld,%ld\n", t, fds, s[n].zombies);
		if (tty) {
			printf("\r%6.0fs  %ld descriptors, %ld zombie children   ", t, fds,
			       s[n].zombies);
			fflush(stdout);
		}
		n++;
		if (duration && t + interval > duration + 1e-9)
			break;
		next += interval;
		while (!interrupted && now() < next) {
			double left = next - now();
			struct timespec ts = { (time_t)left, (long)((left - (time_t)left) * 1e9) };

			nanosleep(&ts, NULL);
		}
	}
	if (tty)
		printf("\n");
	if (out)
		fclose(out);
	if (n < 3) {
		inspect_fail("only %zu sample%s of process %d: too few for a verdict%s", n,
			     n == 1 ? "" : "s", (int)pid, ended ? " (it exited)" : "");
		free(s);
		return 2;
	}

	{
		char name[64];
		double all = slope(s, 0, n), span = s[n - 1].t - s[0].t;
		size_t tail = n - n / 3;
		double last = slope(s, tail, n), tail_span = s[n - 1].t - s[tail].t;
		long first = s[0].fds, final = s[n - 1].fds, peak = first;
		int status = 0;

		for (size_t i = 0; i < n; i++)
			if (s[i].fds > peak)
				peak = s[i].fds;
		inspect_comm(pid, name, sizeof(name));
		chart(s, n);
		printf("%d %s: %zu samples over %.0f s, %ld descriptors at first, %ld at last,"
		       " %ld at most; %ld zombie children at last%s\n",
		       (int)pid, name, n, span, first, final, peak, s[n - 1].zombies,
		       ended ? " (the process exited)" : "");
		/* Growth below one descriptor over the whole run is no trend. */
		if (all * span < 1) {
			printf("verdict: stable\n");
		} else if (last * tail_span < 1 || last < all / 10) {
			printf("verdict: plateau at about %ld descriptors (it grew by %.1f a minute,"
			       " then stopped)\n", final, all * 60);
		} else {
			printf("verdict: growing, %.1f descriptors a minute\n", last * 60);
			status = 1;
		}
		free(s);
		return status;
	}
}
