/* SPDX-License-Identifier: MIT */
/* deny.c: run a command on a machine that lacks something the shim would
 * rather have, to prove it still works there.
 *
 *   deny [--close-range=ENOSYS|EINVAL|EPERM] [--no-proc] [--nofile=N]
 *        -- COMMAND [ARG]...
 *
 * --close-range  a seccomp filter answers close_range(2) with that error:
 *                ENOSYS as before Linux 5.9, EPERM as a container profile
 *                older than the call does, and EINVAL only when the flags
 *                ask for CLOSE_RANGE_CLOEXEC, as Linux 5.9 and 5.10 do.
 * --no-proc      a private mount namespace whose /proc is an empty tmpfs.
 * --nofile       the soft RLIMIT_NOFILE.
 *
 * Each condition is checked before COMMAND runs.  Exit status 77 (the
 * automake "skip") when this machine cannot set one up, with a message
 * saying why; otherwise COMMAND's, as exec leaves it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../shim/close-range.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define NATIVE_ARCH AUDIT_ARCH_I386
#endif

static void skip(const char *what)
{
	fprintf(stderr, "deny: cannot %s here: %s\n", what, strerror(errno));
	exit(77);
}

static int errno_named(const char *name)
{
	if (!strcmp(name, "ENOSYS"))
		return ENOSYS;
	if (!strcmp(name, "EINVAL"))
		return EINVAL;
	if (!strcmp(name, "EPERM"))
		return EPERM;
	fprintf(stderr, "deny: unknown error '%s': expected ENOSYS, EINVAL or EPERM\n", name);
	exit(2);
}

/* Low 32 bits of argument n, on a little- or big-endian machine. */
#define ARG_LO(n) (offsetof(struct seccomp_data, args[n]) + \
		   (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 4 : 0))

static void deny_close_range(int err)
{
#ifdef NATIVE_ARCH
	/* Other architectures and system calls pass; close_range gets err,
	 * EINVAL only when its flags (argument 2) ask for close-on-exec. */
	struct sock_filter any[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close_range, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_filter cloexec[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close_range, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLOSE_RANGE_CLOEXEC, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(any) / sizeof(any[0]), any };
	long r;

	if (err == EINVAL)
		prog = (struct sock_fprog){ sizeof(cloexec) / sizeof(cloexec[0]), cloexec };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		skip("set no_new_privs");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		skip("install a seccomp filter");
	/* The filter must answer as asked, and only where asked. */
	errno = 0;
	r = syscall(SYS_close_range, ~0U, ~0U, CLOSE_RANGE_CLOEXEC);
	if (r != -1 || errno != err) {
		fprintf(stderr, "deny: close_range answered %ld (%s), not %s\n",
			r, strerror(errno), strerror(err));
		exit(1);
	}
	if (err == EINVAL && syscall(SYS_close_range, ~0U, ~0U, 0) != 0)
		skip("call close_range without flags");
#else
	errno = ENOSYS;
	skip("filter system calls on this architecture");
#endif
}

static void hide_proc(void)
{
	if (unshare(CLONE_NEWNS) != 0)
		skip("make a mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		skip("make mounts private");
	if (mount("noproc", "/proc", "tmpfs", MS_NOSUID | MS_NODEV, "size=16k") != 0)
		skip("mount over /proc");
	if (access("/proc/self/fd", F_OK) == 0) {
		fprintf(stderr, "deny: /proc/self/fd is still there\n");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	int err = 0, no_proc = 0, i;
	long nofile = -1;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strncmp(argv[i], "--close-range=", 14)) {
			err = errno_named(argv[i] + 14);
		} else if (!strcmp(argv[i], "--no-proc")) {
			no_proc = 1;
		} else if (!strncmp(argv[i], "--nofile=", 9)) {
			char *end;

			nofile = strtol(argv[i] + 9, &end, 10);
			if (*end || nofile < 3) {
				fprintf(stderr, "deny: bad --nofile '%s'\n", argv[i] + 9);
				return 2;
			}
		} else {
			fprintf(stderr, "deny: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: deny [--close-range=ERR] [--no-proc] [--nofile=N] -- COMMAND...\n");
		return 2;
	}
	if (no_proc)
		hide_proc();
	if (nofile > 0) {
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
			skip("read RLIMIT_NOFILE");
		rl.rlim_cur = (rlim_t)nofile;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			skip("set RLIMIT_NOFILE");
	}
	if (err)
		deny_close_range(err);
	execvp(argv[i + 1], argv + i + 1);
	fprintf(stderr, "deny: cannot run '%s': %s\n", argv[i + 1], strerror(errno));
	return 127;
}
