/* SPDX-License-Identifier: MIT */
/* parsers.c: fuzz targets for everything the shim parses from the
 * environment and the command line of the programs it starts.
 *
 * Each target takes arbitrary bytes, turns them into what the parser
 * reads (a C string, an environment, an argument vector), calls it, and
 * checks what must hold whatever the input: results inside their bounds,
 * output pointing into the input or into the caller's buffer.  A broken
 * rule is a crash (__builtin_trap), as is any memory error the sanitizers
 * see.
 *
 * Built two ways:
 *  - with FUZZ_TARGET set to one target's function and clang's
 *    -fsanitize=fuzzer: a libFuzzer binary (make fuzz, scripts/fuzz.sh);
 *  - without it: "fuzz-replay TARGET FILE..." runs the given inputs, the
 *    corpus kept in fuzz/corpus/TARGET, in every `make check`. */
#include "log.h"
#include "policy.h"
#include "testing.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define require(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* A NUL-terminated copy of the input (the parsers read C strings). */
static char *text_of(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	require(s);
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The input split at newlines into a NULL-terminated vector; the strings
 * live in *text, which the caller frees with the vector. */
static char **vector_of(const uint8_t *data, size_t size, char **text, size_t *count)
{
	size_t n = 1;
	char **v;

	*text = text_of(data, size);
	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	v = calloc(n + 1, sizeof(char *));
	require(v);
	n = 0;
	for (char *s = *text, *nl;; s = nl + 1) {
		v[n++] = s;
		nl = strchr(s, '\n');
		if (!nl)
			break;
		*nl = '\0';
	}
	*count = n;
	return v;
}

static void fdset_sane(const struct noleak_fdset *set)
{
	require(set->n <= NOLEAK_FDSET_MAX);
	for (size_t i = 0; i < set->n; i++)
		require(set->fd[i] >= 0);
}

/* ---- NOLEAK_KEEP --------------------------------------------------------- */

struct seen {
	const char *lo, *hi;
	size_t complaints;
};

static void complaint(void *ctx, const char *entry, size_t len, const char *why)
{
	struct seen *seen = ctx;

	/* The entry named is a piece of the input, and there is a reason. */
	require(entry >= seen->lo && entry + len <= seen->hi);
	require(why && *why);
	seen->complaints++;
}

int fuzz_keep(const uint8_t *data, size_t size);
int fuzz_keep(const uint8_t *data, size_t size)
{
	char *spec = text_of(data, size);
	struct noleak_keep keep;
	struct seen seen = { spec, spec + size, 0 };
	size_t bad;

	for (int numbers = 0; numbers < 2; numbers++) {
		memset(&keep, 0, sizeof(keep));
		keep.no_numbers = numbers;
		seen.complaints = 0;
		bad = noleak_keep_parse(spec, &keep, complaint, &seen);
		require(bad == seen.complaints);
		require(keep.n <= NOLEAK_KEEP_MAX && keep.nres <= NOLEAK_RESOURCE_MAX);
		require(!numbers || keep.n == 0);
		for (size_t i = 0; i < keep.n; i++)
			require(keep.range[i].lo >= 0 && keep.range[i].lo <= keep.range[i].hi);
		for (size_t i = 0; i < keep.nres; i++) {
			require(memchr(keep.res[i].text, '\0', sizeof(keep.res[i].text)));
			if (keep.res[i].kind == NOLEAK_RES_PATH)
				(void)noleak_glob_match(keep.res[i].text, "/run/legacyd/legacyd.sock");
		}
		(void)noleak_keep_has(&keep, 3);
		(void)noleak_keep_has(&keep, 2147483647);
	}
	free(spec);
	return 0;
}

/* ---- path:GLOB matching ---------------------------------------------------- */

int fuzz_glob(const uint8_t *data, size_t size);
int fuzz_glob(const uint8_t *data, size_t size)
{
	char *s = text_of(data, size), *text = strchr(s, '\n');

	if (text)
		*text++ = '\0';
	(void)noleak_glob_match(s, text ? text : s);
	free(s);
	return 0;
}

/* ---- the hand-over conventions: LISTEN_FDS, NGINX, MAKEFLAGS... --------- */

int fuzz_env(const uint8_t *data, size_t size);
int fuzz_env(const uint8_t *data, size_t size)
{
	char *text, **envp, *out[16], buf[64];
	size_t n, count;
	struct noleak_fdset set = { 0 };
	/* LISTEN_PID is compared with the pid: a few that the input may hit. */
	long pids[] = { 0, 1, 4120 };

	envp = vector_of(data, size, &text, &count);
	for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
		noleak_fds_in_env(envp, pids[i], &set);
		fdset_sane(&set);
	}
	noleak_fds_in_makeflags(envp, &set);
	fdset_sane(&set);
	(void)noleak_fdset_has(&set, 3);

	/* The process scope's rewrite, into buffers far smaller than the
	 * input may want: it must stay inside them. */
	for (size_t max = 1; max <= 16; max += 5) {
		for (size_t len = 0; len <= sizeof(buf); len += 21) {
			n = noleak_env_strip(envp, "libnoleak.so", out, max, buf, len);
			require(n < max && out[n] == NULL);
			for (size_t i = 0; i < n; i++) {
				int ours = out[i] == buf;
				int theirs = out[i] >= text && out[i] <= text + size;

				require(ours || theirs);
				require(!ours || (len > 0 && memchr(buf, '\0', len)));
			}
		}
	}
	free(envp);
	free(text);
	return 0;
}

/* ---- descriptors named on a command line ----------------------------------- */

int fuzz_args(const uint8_t *data, size_t size);
int fuzz_args(const uint8_t *data, size_t size)
{
	char *text, **argv, *flat;
	size_t count;
	struct noleak_fdset set = { 0 };
	argv = vector_of(data, size, &text, &count);
	noleak_fds_in_args(argv, &set);
	fdset_sane(&set);
	/* The same bytes as one shell command ("sh -c '...'"). */
	flat = text_of(data, size);
	memset(&set, 0, sizeof(set));
	noleak_fds_in_command(flat, &set);
	fdset_sane(&set);
	free(flat);
	free(argv);
	free(text);
	return 0;
}

/* ---- NOLEAK_MODE, NOLEAK_SCOPE, NOLEAK_SIGNALS, NOLEAK_LOG, _NOLEAK_PID,
 *      and fopen/popen modes ------------------------------------------------- */

int fuzz_config(const uint8_t *data, size_t size);
int fuzz_config(const uint8_t *data, size_t size)
{
	static const char *const modes[] = { "enforce", "audit", "off", NULL };
	char *v = text_of(data, size), mode[8];
	const char *why, *got;
	int to, i;

	i = noleak_choose(v, modes);
	require(i == -1 || !strcmp(v, modes[i]));
	to = noleak_log_parse(v, NOLEAK_LOG_PATH_MAX, &why);
	require(to == -1 ? why != NULL : why == NULL);
	require(to != NOLEAK_LOG_FILE || (v[0] == '/' && strlen(v) < NOLEAK_LOG_PATH_MAX));
	require(noleak_pid_parse(v) >= 0);
	got = noleak_mode_cloexec(v, mode, sizeof(mode));
	require(got == v || (got == mode && memchr(mode, '\0', sizeof(mode)) &&
			     strchr(mode, 'e')));
	free(v);
	return 0;
}

/* ---- the configuration file: every line it reports lies inside the text,
 *      in order, with keys and values trimmed ------------------------------ */

struct conf_seen {
	const uint8_t *text;
	size_t len;
	int last;
};

static void conf_line_seen(void *ctx, const struct noleak_conf_line *l, const char *why)
{
	struct conf_seen *c = ctx;
	const char *end = (const char *)c->text + c->len;

	require(l->line >= c->last && l->line >= 1);
	c->last = l->line;
	require(l->key >= (const char *)c->text && l->key + l->key_len <= end);
	require(l->value >= (const char *)c->text && l->value + l->value_len <= end);
	require(!memchr(l->key, '\n', l->key_len) && !memchr(l->value, '\n', l->value_len));
	if (!why) {
		require(l->key_len > 0 && l->key[0] != ' ' && l->key[l->key_len - 1] != ' ');
		require(!l->value_len || (l->value[0] != ' ' && l->value[l->value_len - 1] != ' '));
	}
}

int fuzz_conf(const uint8_t *data, size_t size);
int fuzz_conf(const uint8_t *data, size_t size)
{
	struct conf_seen c = { data, size, 0 };

	noleak_conf_walk((const char *)data, size, "/usr/sbin/legacyd", conf_line_seen, &c);
	c.last = 0;
	noleak_conf_walk((const char *)data, size, NULL, conf_line_seen, &c);
	return 0;
}

#ifdef FUZZ_TARGET
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return FUZZ_TARGET(data, size);
}
#else
static const struct {
	const char *name;
	int (*run)(const uint8_t *, size_t);
} targets[] = {
	{ "keep", fuzz_keep }, { "glob", fuzz_glob }, { "env", fuzz_env },
	{ "args", fuzz_args }, { "config", fuzz_config }, { "conf", fuzz_conf },
};

static int replay_file(int (*run)(const uint8_t *, size_t), const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data;
	long size;

	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	data = malloc((size_t)size + 1);
	require(data);
	if (fread(data, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "fuzz-replay: %s: short read\n", path);
		return 1;
	}
	fclose(f);
	run(data, (size_t)size);
	free(data);
	return 0;
}

/* fuzz-replay TARGET FILE|DIRECTORY...: run each input through TARGET;
 * prints how many ran.  A crash is the failure. */
int main(int argc, char **argv)
{
	int (*run)(const uint8_t *, size_t) = NULL;
	size_t ran = 0;
	int errors = 0;

	if (argc == 2 && !strcmp(argv[1], "--sanitized")) {	/* for the test's log */
#if defined(__SANITIZE_ADDRESS__)
		return 0;
#else
		return 1;
#endif
	}
	for (size_t i = 0; argc > 1 && i < sizeof(targets) / sizeof(targets[0]); i++)
		if (!strcmp(argv[1], targets[i].name))
			run = targets[i].run;
	if (!run) {
		fprintf(stderr, "usage: fuzz-replay keep|glob|env|args|config FILE|DIR...\n");
		return 2;
	}
	for (int a = 2; a < argc; a++) {
		DIR *d = opendir(argv[a]);
		struct dirent *e;
		char path[4096];

		if (!d) {
			errors += replay_file(run, argv[a]);
			ran++;
			continue;
		}
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[a], e->d_name);
			errors += replay_file(run, path);
			ran++;
		}
		closedir(d);
	}
	printf("%s: %zu inputs\n", argv[1], ran);
	return errors ? 1 : 0;
}
#endif
