/* SPDX-License-Identifier: MIT */
/* noleak.h: the umbrella header of the wrappers (wrap-*.c, config.c,
 * spawn.c): every module's header, lowest layer first.  Each module's own
 * .c includes only the headers it uses. */
#ifndef NOLEAK_H
#define NOLEAK_H

#include "common.h"
#include "raw.h"
#include "log.h"
#include "policy.h"
#include "next.h"
#include "settings.h"
#include "intent.h"
#include "fds.h"
#include "signals.h"
#include "sweep.h"
#include "describe.h"
#include "report.h"
#include "spawn-api.h"

#endif /* NOLEAK_H */
