/* SPDX-License-Identifier: MIT */
/* describe.h: what a descriptor is (describe.c): for the keep-list's
 * resources, locks, the jobserver's pipes, and the words of reports. */
#ifndef NOLEAK_DESCRIBE_H
#define NOLEAK_DESCRIBE_H

#include "common.h"
#include "log.h"
#include "policy.h"

/* Describe descriptor fd into l: "tcp 127.0.0.1:8080 LISTEN", "udp
 * 0.0.0.0:53", "unix /run/x.sock", "pipe", "eventfd", or a path. */
void noleak_describe_fd(struct noleak_line *l, int fd);

/* Whether fd is a listening socket. */
int noleak_fd_listening(int fd);

/* Add to set the descriptors that hold a file lock (flock, fcntl): what a
 * setlock-style program keeps across an exec in place. */
void noleak_locked_fds(struct noleak_fdset *set);

/* Add to set every open descriptor >= 3 that one of keep's resources
 * names: a socket by kind, address and port, or a file by path. */
void noleak_keep_resources(const struct noleak_keep *keep,
			   struct noleak_fdset *set);

/* Keep, of the descriptors of set from index from on, only the pipes and
 * FIFOs (the jobserver's numbers may name anything else). */
void noleak_keep_pipes(struct noleak_fdset *set, size_t from);

#endif
