/* SPDX-License-Identifier: MIT */
/* creator.c: the reproduction of php-fpm's "made by" report.  Two files
 * are creat()ed (3 and 4) and closed; a socket takes 3 and its dup() 4;
 * then system("true") starts a child.  A report about descriptor 4 must
 * name dup(), the call that made it, not creat(), the one that last had
 * its number.  "raw" makes 4 by a raw system call instead: the report
 * must name no call at all.  Prints the numbers it made. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char path[2][64];
	int a, b, s, d;

	for (int i = 0; i < 2; i++)
		snprintf(path[i], sizeof(path[i]), "%s/creat%d", argc > 1 ? argv[1] : "/tmp", i);
	a = creat(path[0], 0600);
	b = creat(path[1], 0600);
	close(a);
	close(b);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (argc > 2 && !strcmp(argv[2], "raw")) {
		/* syscall() itself is wrapped: an instruction, as io_uring's or
		 * a Go runtime's. */
		long r;

		__asm__ volatile("syscall" : "=a"(r) : "a"(SYS_dup), "D"(s) : "rcx", "r11", "memory");
		d = (int)r;
	} else {
		d = dup(s);
	}
	printf("made %d %d %d %d\n", a, b, s, d);
	fflush(stdout);
	return system("true") == 0 ? 0 : 1;
}
