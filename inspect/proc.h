/* SPDX-License-Identifier: MIT */
/* proc.h: what the commands of noleak-inspect read from /proc: a
 * process's stat fields and name, its descriptors and what fdinfo says of
 * them, the socket tables of its network namespace, its zombie children,
 * and the descriptors of every process.  Nothing here prints or exits: a
 * reader that fails returns -1 with errno set (ENOMEM when memory runs
 * out), and the command says so in its own name. */
#ifndef NOLEAK_INSPECT_PROC_H
#define NOLEAK_INSPECT_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* Read a whole small file into buf (NUL-terminated); -1 with errno. */
ssize_t proc_slurp(const char *path, char *buf, size_t len);

/* Fields of /proc/PID/stat: state, parent and start time (clock ticks
 * since boot); any may be NULL.  0, or -1 when the process is gone. */
int proc_stat(pid_t pid, char *state, pid_t *ppid, unsigned long long *start);

/* The process group and session of pid (0 when the leader is outside
 * this pid namespace); 0, or -1 when the process is gone. */
int proc_group(pid_t pid, pid_t *pgrp, pid_t *sid);

/* 1 when a process pid runs that started no later than ticks (clock ticks
 * since boot; 0: whenever), not a later one given the same pid. */
int proc_alive_since(pid_t pid, unsigned long long ticks);

/* The parent of pid, or 0 when it is gone. */
pid_t proc_parent(pid_t pid);

/* When pid started, in clock ticks since boot, or 0 when it is gone. */
unsigned long long proc_start(pid_t pid);

/* The command name of pid into buf, or "?" when it is gone. */
void proc_comm(pid_t pid, char *buf, size_t len);

/* The open descriptors of pid: their number, and, when fds is not NULL,
 * a malloc'd array of them in *fds (the caller frees it).  -1 with errno
 * when /proc/PID/fd cannot be read (ENOENT: no such process). */
long proc_fds(pid_t pid, int **fds);

/* The children of pid that have exited and not been waited for. */
long proc_zombies(pid_t pid);

/* What /proc/PID/fdinfo/FD says: close-on-exec, and the first lock. */
struct proc_fdinfo {
	int cloexec;
	char lock[96];		/* "FLOCK WRITE", "POSIX READ"... or "" */
	pid_t lock_pid;		/* who took it (-1: an OFD lock), or 0 */
};

/* Fill *info for descriptor fd of pid; 0, or -1 when it is gone. */
int proc_fdinfo(pid_t pid, int fd, struct proc_fdinfo *info);

/* One socket of a /proc/PID/net table. */
struct proc_sock {
	unsigned long ino;
	char proto[8];		/* tcp, udp, udplite, raw, icmp, unix, netlink, packet */
	unsigned port;		/* local port, tcp and udp (raw: the IP protocol) */
	int listening;		/* tcp LISTEN, or a unix socket that listens */
	char what[256];		/* "tcp 127.0.0.1:8080 LISTEN" */
};

/* Every TCP, UDP, UDP-Lite, raw, ping, Unix, netlink and packet socket in
 * the network namespace of pid (0: this
 * process) into a malloc'd *list of *n.  0, or -1 with ENOMEM. */
int proc_sockets(pid_t pid, struct proc_sock **list, size_t *n);

/* The socket of list with inode ino, or NULL. */
const struct proc_sock *proc_find_sock(const struct proc_sock *list, size_t n,
				       unsigned long ino);

/* One open descriptor of some process, and the identity of its file. */
struct proc_holder {
	pid_t pid;
	int fd;
	dev_t dev;
	ino_t ino;
	mode_t mode;		/* its type: S_ISREG, S_ISSOCK... */
};

/* Every descriptor this user may see, of every process, in /proc order
 * (a process's descriptors together), into a malloc'd *list of *n; the
 * processes whose descriptors this user may not read are counted in
 * *hidden (when not NULL).  0, or -1 with ENOMEM. */
int proc_holders(struct proc_holder **list, size_t *n, size_t *hidden);

/* The program pid runs, the target of /proc/PID/exe without a trailing
 * " (deleted)", into buf; 0, or -1 (buf "") when it cannot be read. */
int proc_exe(pid_t pid, char *buf, size_t len);

/* 1 when a and b run the same program (their exe reads alike), 0 when
 * they do not or either cannot be read. */
int proc_same_program(pid_t a, pid_t b);

/* 1 when the environment of pid has a variable called name, 0 when it
 * has none or cannot be read. */
int proc_environ_has(pid_t pid, const char *name);

/* The protocol of socket descriptor fd of pid as the kernel names it
 * (system.sockprotoname, lower case, "tcp6" for TCPv6) into buf, wherever
 * the socket is; 0, or -1 when it cannot be read. */
int proc_sock_proto(pid_t pid, int fd, char *buf, size_t len);

/* The device of the socket file system: a socket's identity is its inode
 * number on it.  (dev_t)-1 when no socket can be made. */
dev_t proc_sockfs_dev(void);

#endif
