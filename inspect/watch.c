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
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "inspect.h"
#include "proc.h"

static const char me[] = "noleak watch";

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
		inspect_fail(me, "invalid %s '%s': expected a number of seconds above 0", opt, arg);
		return -1;
	}
	return v;
}

/* What the command line asks for. */
struct watch {
	double interval;	/* seconds between samples */
	double duration;	/* seconds to watch, or 0: until the end */
	const char *csv;	/* where to write the samples, or NULL */
	pid_t pid;
};

/* The one process to watch, from argv[optind]; 0, or the exit status. */
static int watch_pid(struct watch *w, int argc, char **argv)
{
	char *end;
	long v;

	if (optind == argc) {
		inspect_usage_error(me, "no process given");
		return 2;
	}
	if (argc - optind > 1) {
		inspect_usage_error(me, "one process at a time: '%s'", argv[optind + 1]);
		return 2;
	}
	v = strtol(argv[optind], &end, 10);
	if (*end || end == argv[optind] || v < 1 || v > 0x7fffffff) {
		inspect_fail(me, "invalid process '%s': expected a pid", argv[optind]);
		return 2;
	}
	w->pid = (pid_t)v;
	return 0;
}

/* Parse watch's command line into w; -1 to go on, or the exit status. */
static int watch_options(struct watch *w, int argc, char **argv)
{
	static const struct option longs[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "csv", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hi:d:", longs, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'i':
			if ((w->interval = seconds("interval", optarg)) < 0)
				return 2;
			break;
		case 'd':
			if ((w->duration = seconds("duration", optarg)) < 0)
				return 2;
			break;
		case 'c':
			w->csv = optarg;
			break;
		case ':':
			inspect_usage_error(me, "option '%s' requires an argument", argv[optind - 1]);
			return 2;
		default:
			inspect_usage_error(me, "unrecognized option '%s'", argv[optind - 1]);
			return 2;
		}
	}
	return watch_pid(w, argc, argv) ? 2 : -1;
}

/* Sleep until the monotonic clock reaches next, or a signal comes. */
static void sleep_until(double next)
{
	while (!interrupted && now() < next) {
		double left = next - now();
		struct timespec ts = { (time_t)left, (long)((left - (time_t)left) * 1e9) };

		nanosleep(&ts, NULL);
	}
}

/* The samples taken so far. */
struct samples {
	struct sample *s;
	size_t n, cap;
	int ended;		/* the process exited */
};

/* Room for one more sample in ss; 0, or -1 when memory runs out. */
static int make_room(struct samples *ss)
{
	struct sample *more;
	size_t cap = ss->cap ? ss->cap * 2 : 256;

	if (ss->n < ss->cap)
		return 0;
	if (!(more = realloc(ss->s, cap * sizeof(*ss->s))))
		return -1;
	ss->s = more;
	ss->cap = cap;
	return 0;
}

/* Sample w->pid until the duration is over, it exits or a signal comes,
 * writing each sample to out (may be NULL) and, on a terminal, a live
 * line.  0, or 2 when memory runs out. */
static int sample(const struct watch *w, FILE *out, struct samples *ss)
{
	int tty = isatty(STDOUT_FILENO);
	double t0 = now(), next = t0;

	while (!interrupted) {
		long fds = proc_fds(w->pid, NULL);
		double t = now() - t0;
		struct sample *s;

		if (fds < 0) {
			ss->ended = 1;
			break;
		}
		if (make_room(ss)) {
			inspect_fail(me, "out of memory");
			return 2;
		}
		s = &ss->s[ss->n++];
		*s = (struct sample){ t, fds, proc_zombies(w->pid) };
		if (out)
			fprintf(out, "%.3f,%ld,%ld\n", t, fds, s->zombies);
		if (tty) {
			printf("\r%6.0fs  %ld %s, %ld %s   ", t, fds,
			       inspect_plural((unsigned long)fds, "descriptor", "descriptors"),
			       s->zombies, inspect_plural((unsigned long)s->zombies,
							  "zombie child", "zombie children"));
			fflush(stdout);
		}
		if (w->duration && t + w->interval > w->duration + 1e-9)
			break;
		sleep_until(next += w->interval);
	}
	if (tty)
		printf("\n");
	return 0;
}

/* The chart, the summary line and the verdict on n samples of pid:
 * 0 stable or plateau, 1 growing. */
static int verdict(pid_t pid, const struct sample *s, size_t n, int ended)
{
	char name[64];
	double all = slope(s, 0, n), span = s[n - 1].t - s[0].t;
	size_t tail = n - n / 3;
	double last = slope(s, tail, n), tail_span = s[n - 1].t - s[tail].t;
	long first = s[0].fds, final = s[n - 1].fds, peak = first;

	for (size_t i = 0; i < n; i++)
		if (s[i].fds > peak)
			peak = s[i].fds;
	proc_comm(pid, name, sizeof(name));
	chart(s, n);
	printf("%d %s: %zu %s over %.0f s, %ld %s at first, %ld at last,"
	       " %ld at most; %ld %s at last%s\n",
	       (int)pid, name, n, inspect_plural(n, "sample", "samples"), span, first,
	       inspect_plural((unsigned long)first, "descriptor", "descriptors"), final, peak,
	       s[n - 1].zombies,
	       inspect_plural((unsigned long)s[n - 1].zombies, "zombie child", "zombie children"),
	       ended ? " (the process exited)" : "");
	/* Growth below one descriptor over the whole run is no trend. */
	if (all * span < 1) {
		printf("verdict: stable\n");
		return 0;
	}
	if (last * tail_span < 1 || last < all / 10) {
		printf("verdict: plateau at about %ld %s (it grew by %.1f a minute,"
		       " then stopped)\n", final,
		       inspect_plural((unsigned long)final, "descriptor", "descriptors"), all * 60);
		return 0;
	}
	printf("verdict: growing, %.1f descriptors a minute\n", last * 60);
	return 1;
}

/* Open the CSV file w asks for, with its header; 0, or 2 on failure. */
static int open_csv(const struct watch *w, FILE **out)
{
	*out = NULL;
	if (!w->csv)
		return 0;
	if (!(*out = fopen(w->csv, "we"))) {
		inspect_fail(me, "cannot write '%s': %s", w->csv, strerror(errno));
		return 2;
	}
	fprintf(*out, "time,fds,zombies\n");
	return 0;
}

int watch_main(int argc, char **argv)
{
	struct watch w = { .interval = 1 };
	struct samples ss = { NULL, 0, 0, 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	FILE *out;
	int status = watch_options(&w, argc, argv);

	if (status >= 0)
		return status;
	if (proc_fds(w.pid, NULL) < 0) {
		inspect_no_descriptors(me, w.pid, errno);
		return 2;
	}
	if (open_csv(&w, &out))
		return 2;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	status = sample(&w, out, &ss);
	if (out)
		fclose(out);
	if (!status && ss.n < 3) {
		inspect_fail(me, "only %zu sample%s of process %d: too few for a verdict%s", ss.n,
			     ss.n == 1 ? "" : "s", (int)w.pid, ss.ended ? " (it exited)" : "");
		status = 2;
	}
	if (!status)
		status = verdict(w.pid, ss.s, ss.n, ss.ended);
	free(ss.s);
	return status;
}
