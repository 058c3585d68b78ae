/* config.c: the process's configuration, read once, and the constructor.
 *
 * The environment is read here and nowhere else: exec wrappers may run in a
 * vfork child, where parsing is out of the question, so everything they
 * need is prepared before (in the constructor, or at the first wrapper that
 * needs it, since other libraries' constructors can run first). */
#include "noleak.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>

/* How far start-up looks for inherited descriptors when /proc is missing. */
enum { STARTUP_SCAN_CAP = 65536 };

struct noleak_config noleak_config;

static struct noleak_once ready;

/* Report one unusable entry of an environment variable, quoting it with
 * anything unprintable escaped, and cut short if it is long. */
static void complain(void *ctx, const char *entry, size_t len, const char *why)
{
	static const char hex[] = "0123456789abcdef";
	struct noleak_line l;
	size_t shown = len > 64 ? 64 : len;

	noleak_line_begin(&l);
	noleak_line_str(&l, (const char *)ctx);
	noleak_line_str(&l, ": ignoring '");
	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)entry[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			noleak_line_mem(&l, entry + i, 1);
		} else {
			char esc[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

			noleak_line_mem(&l, esc, sizeof(esc));
		}
	}
	if (shown < len)
		noleak_line_str(&l, "...");
	noleak_line_str(&l, "': ");
	noleak_line_str(&l, why);
	noleak_line_emit(&l);
}

static void read_environment(void)
{
	const char *keep = getenv("NOLEAK_KEEP");

	if (keep)
		noleak_keep_parse(keep, &noleak_config.keep, complain,
				  (void *)"NOLEAK_KEEP");
}

static void keep_inherited(int fd, void *ctx)
{
	int flags;

	if (fd < 3)
		return;
	flags = noleak_raw_getfd(fd);
	if (flags >= 0 && !(flags & FD_CLOEXEC))
		noleak_intent_keep(fd);
}

/* Whatever reached this process inheritable was passed on purpose by
 * whoever started it (a supervisor's sockets, a shell's "3<file"): record
 * it, so that passing it on is not taken for a leak. */
static void record_inherited(void)
{
	struct rlimit rl;
	long bound = STARTUP_SCAN_CAP;

	if (noleak_fd_walk(keep_inherited, NULL) == 0)
		return;
	if (noleak_raw(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&rl, 0) == 0 &&
	    rl.rlim_cur < (rlim_t)bound)
		bound = (long)rl.rlim_cur;
	for (long fd = 3; fd < bound; fd++)
		keep_inherited((int)fd, NULL);
}

void noleak_init(void)
{
	if (!noleak_once_enter(&ready))
		return;
	noleak_next_bind();
	record_inherited();
	read_environment();
	noleak_sweep_probe();
	noleak_once_leave(&ready);
}

__attribute__((constructor)) static void noleak_constructor(void)
{
	noleak_init();
}
