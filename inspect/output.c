/* SPDX-License-Identifier: MIT */
/* output.c: what the commands of noleak-inspect print on standard output
 * alike: JSON strings and pids, a process's parent chain, and a count
 * with its noun in agreement ("1 descriptor", "2 descriptors"). */
#define _GNU_SOURCE
#include <stdio.h>

#include "inspect.h"
#include "proc.h"

void inspect_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

void inspect_json_pid(pid_t pid)
{
	if (pid > 0)
		printf("%d", (int)pid);
	else
		printf("null");
}

void inspect_chain(pid_t pid, int json)
{
	char name[64];
	int first = 1;

	if (json)
		putchar('[');
	for (int depth = 0; pid > 0 && depth < 64; depth++, pid = proc_parent(pid)) {
		proc_comm(pid, name, sizeof(name));
		if (json) {
			printf("%s{\"pid\":%d,\"name\":", first ? "" : ",", (int)pid);
			inspect_json_str(name);
			putchar('}');
		} else {
			printf("%s%d %s", first ? "" : " <- ", (int)pid, name);
		}
		first = 0;
	}
	if (json)
		putchar(']');
}

const char *inspect_plural(unsigned long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}
