/* SPDX-License-Identifier: MIT */
/* loadable.c: whether the library can be loaded into a program, for the
 * wrapper's warning.
 *
 *   noleak-inspect loadable LIBRARY PROGRAM
 *
 * Exit 0 when it can, or when PROGRAM is not something this can judge (a
 * missing file, an unknown format: exec will say); 1 with one sentence on
 * standard output when it cannot: PROGRAM is statically linked, or built
 * for another word size or machine than LIBRARY (a 32-bit program under a
 * 64-bit library).  A script is judged by its interpreter, one level deep,
 * "#!/usr/bin/env NAME" by NAME along PATH. */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect.h"

struct elf_kind {
	int elf;		/* a readable ELF file at all */
	unsigned char class;	/* ELFCLASS32, ELFCLASS64 */
	unsigned machine;	/* EM_X86_64, ... */
	int interp;		/* has a PT_INTERP: the loader runs it */
};

/* An n-byte field at p, in the file's byte order. */
static unsigned long long field(const unsigned char *p, int n, int big)
{
	unsigned long long v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[big ? i : n - 1 - i];
	return v;
}

/* Read the header and program headers of path; k->elf = 0 if it is not
 * an ELF file this can read. */
static void elf_read(const char *path, struct elf_kind *k)
{
	unsigned char h[64], ph[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC), big, wide;
	unsigned long long phoff;
	unsigned phentsize, phnum;

	memset(k, 0, sizeof(*k));
	if (fd < 0)
		return;
	if (pread(fd, h, sizeof(h), 0) < 52 || memcmp(h, ELFMAG, SELFMAG) ||
	    (h[EI_CLASS] != ELFCLASS32 && h[EI_CLASS] != ELFCLASS64)) {
		close(fd);
		return;
	}
	wide = h[EI_CLASS] == ELFCLASS64;
	big = h[EI_DATA] == ELFDATA2MSB;
	k->elf = 1;
	k->class = h[EI_CLASS];
	k->machine = (unsigned)field(h + 18, 2, big);
	phoff = field(h + (wide ? 32 : 28), wide ? 8 : 4, big);
	phentsize = (unsigned)field(h + (wide ? 54 : 42), 2, big);
	phnum = (unsigned)field(h + (wide ? 56 : 44), 2, big);
	if (phentsize < 4 || phentsize > sizeof(ph))
		phnum = 0;
	for (unsigned i = 0; i < phnum && i < 256; i++) {
		if (pread(fd, ph, phentsize, (off_t)(phoff + (unsigned long long)i * phentsize))
		    != (ssize_t)phentsize)
			break;
		if (field(ph, 4, big) == PT_INTERP)
			k->interp = 1;
	}
	close(fd);
}

/* The interpreter of a "#!" script, resolved into buf; 0 if none. */
static int script_interpreter(const char *path, char *buf, size_t len)
{
	char line[256], name[128], *p, *end, *dirs, *dir, *save;
	const char *path_var = getenv("PATH");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n < 3 || line[0] != '#' || line[1] != '!')
		return 0;
	line[n] = '\0';
	p = line + 2 + strspn(line + 2, " \t");
	end = p + strcspn(p, " \t\n");
	if (end == p || end - p >= (long)len)
		return 0;
	memcpy(buf, p, (size_t)(end - p));
	buf[end - p] = '\0';
	p = strrchr(buf, '/');
	if (strcmp(p ? p + 1 : buf, "env"))
		return 1;
	/* "#!/usr/bin/env NAME": NAME along PATH. */
	p = end + strspn(end, " \t");
	end = p + strcspn(p, " \t\n");
	if (end == p || *p == '-' || end - p >= (long)sizeof(name))
		return 0;
	memcpy(name, p, (size_t)(end - p));
	name[end - p] = '\0';
	dirs = strdup(path_var ? path_var : "/usr/local/bin:/usr/bin:/bin");
	for (dir = dirs ? strtok_r(dirs, ":", &save) : NULL; dir;
	     dir = strtok_r(NULL, ":", &save)) {
		if ((size_t)snprintf(buf, len, "%s/%s", dir, name) < len &&
		    access(buf, X_OK) == 0) {
			free(dirs);
			return 1;
		}
	}
	free(dirs);
	return 0;
}

/* The dynamic loader run as a command ("ld.so PROGRAM") has no PT_INTERP,
 * yet it honours LD_PRELOAD for the program it runs. */
static int is_loader(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "ld-linux", 8) || !strncmp(base, "ld.so", 5) ||
	       !strncmp(base, "ld64.so", 7) || !strncmp(base, "ld-musl", 7);
}

static const char *class_name(unsigned char class)
{
	return class == ELFCLASS32 ? "32-bit" : "64-bit";
}

int loadable_main(int argc, char **argv)
{
	struct elf_kind lib, prog;
	char interp[PATH_MAX], why[80];
	const char *judged;

	if (argc != 3) {
		fprintf(stderr, "usage: noleak-inspect loadable LIBRARY PROGRAM\n");
		return 2;
	}
	elf_read(argv[1], &lib);
	if (!lib.elf)
		return 0;
	judged = argv[2];
	elf_read(judged, &prog);
	if (!prog.elf && script_interpreter(argv[2], interp, sizeof(interp))) {
		judged = interp;
		elf_read(judged, &prog);
	}
	if (!prog.elf || is_loader(judged))
		return 0;
	if (prog.class != lib.class)
		snprintf(why, sizeof(why), "is a %s program and libnoleak is %s",
			 class_name(prog.class), class_name(lib.class));
	else if (prog.machine != lib.machine)
		snprintf(why, sizeof(why), "is built for another machine than libnoleak");
	else if (!prog.interp)
		snprintf(why, sizeof(why), "is statically linked");
	else
		return 0;
	if (judged != argv[2])
		printf("'%s' runs under '%s', which %s", argv[2], judged, why);
	else
		printf("'%s' %s", argv[2], why);
	printf(": the library cannot be loaded into it, and what it leaks is not stopped\n");
	return 1;
}
