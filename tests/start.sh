#!/bin/sh
# SPDX-License-Identifier: MIT
# start.sh: what the library costs a process that starts under it and
# does nothing with it, which is most processes of a host-wide install.
# It allocates nothing at load (the owner's _NOLEAK_PID goes into its
# environment without setenv, and the environment functions work on after
# it); its first call goes to the next definition as every later one does;
# it costs about the page faults of an empty preloaded library; and a
# dormant shell's children start their programs without a mapping or a
# memory probe of the library's.
. "$NOLEAK_SRCDIR/tests/tap.sh"

probe=$NOLEAK_TESTS/probe
nothing=$NOLEAK_TESTS/.libs/libnothing.so
work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-start.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

field() {
	printf '%s\n' "$1" | sed -n "s/^$2 //p"
}

# ---- nothing allocated at load ---------------------------------------------
without=$(timeout 30 env -i "$probe" heap 2>&1)
with=$(timeout 30 env -i LD_PRELOAD="$NOLEAK_LIBRARY" "$probe" heap 2>&1)
test "$(field "$without" arena)" = 0 && test "$(field "$without" owner)" = - &&
	test "$(field "$with" arena)" = 0
ok $? "a process under the library has allocated nothing when main starts, as without it" ||
	diag "without: $without" "with: $with"

test -n "$(field "$with" pid)" && test "$(field "$with" owner)" = "$(field "$with" pid)"
ok $? "the first process still finds itself named the owner in its environment (_NOLEAK_PID)" ||
	diag "with: $with"

# More variables than the library's own copy of the array holds: setenv.
big=$(awk 'BEGIN { for (i = 0; i < 300; i++) printf "V%d=%d ", i, i }')
# shellcheck disable=SC2086
out=$(timeout 30 env -i $big LD_PRELOAD="$NOLEAK_LIBRARY" "$probe" heap 2>&1)
test "$(field "$out" owner)" = "$(field "$out" pid)"
ok $? "with 300 variables, too, the first process is named the owner" || diag "$out"

# A _NOLEAK_PID that is not a pid is replaced where it stands, as setenv
# replaced it: one entry, the first process's pid ("007" would otherwise
# name pid 7 the owner, and an empty one make every descendant an owner).
for bad in "" 007; do
	out=$(timeout 30 env -i _NOLEAK_PID="$bad" LD_PRELOAD="$NOLEAK_LIBRARY" "$probe" heap 2>&1)
	entries=$(timeout 30 env -i _NOLEAK_PID="$bad" LD_PRELOAD="$NOLEAK_LIBRARY" \
		"$probe" envops 2>&1 | grep -c '^_NOLEAK_PID=')
	test "$(field "$out" owner)" = "$(field "$out" pid)" && test "$entries" = 1
	ok $? "_NOLEAK_PID='$bad' is replaced by the first process's pid, not added beside it" ||
		diag "$out" "entries: $entries"
done

# An _NOLEAK_REEXEC the library did not write (its own is "PID:LIST", for
# the exec in place of that very process) is somebody else's: it stays, and
# marks nothing (the library before this round took it away).
for v in 3 "$$:3"; do
	n=$(timeout 30 env -i _NOLEAK_REEXEC="$v" LD_PRELOAD="$NOLEAK_LIBRARY" "$probe" envops 2>&1 |
		grep -cx "_NOLEAK_REEXEC=$v")
	test "$n" = 1
	ok $? "_NOLEAK_REEXEC='$v', set by the user, reaches the program unchanged" || diag "found $n"
done

# ---- the environment functions, after it ------------------------------------
without=$(timeout 30 env -i NOLEAK_PROBE_C=3 X=1 "$probe" envops 2>&1)
with=$(timeout 30 env -i NOLEAK_PROBE_C=3 X=1 LD_PRELOAD="$NOLEAK_LIBRARY" \
	"$probe" envops 2>&1)
expected=$(printf '%s\nLD_PRELOAD=%s\n' "$without" "$NOLEAK_LIBRARY" | sort)
got=$(printf '%s\n' "$with" | grep -v '^_NOLEAK_PID=' | sort)
test "$got" = "$expected" && printf '%s\n' "$with" | grep -q '^_NOLEAK_PID=[1-9]'
ok $? "setenv, putenv and unsetenv work on the environment the library handed the program" ||
	diag "without: $without" "with: $with"

# ---- the first call goes where every later one does ------------------------
# Set up at its first call, the library bound its next symbols only after
# that call had picked its path: the first open() went to a raw system
# call, which is no cancellation point, and a thread cancelled there
# never ended.
mkdir "$work/fifo-without" "$work/fifo-with"
without=$(timeout 20 "$probe" cancel-open "$work/fifo-without" 2>&1)
with=$(timeout 20 env LD_PRELOAD="$NOLEAK_LIBRARY" "$probe" cancel-open "$work/fifo-with" 2>&1)
test "$(field "$without" cancelled)" = 1 && test "$(field "$with" cancelled)" = 1
ok $? "a thread cancelled in the process's first open() (of a FIFO) ends, as without the library" ||
	diag "without: $without" "with: $with"

# ---- page faults of a start ---------------------------------------------
# The mean minor faults of 60 starts of /bin/true (posix_spawn, so that
# none of the spawner's pages are counted): without a library, with an
# empty one (the floor of any preloaded library), and with this one as the
# first process (the owner) and as a descendant.  Before this round the
# owner took 10 more than the empty library (setenv's malloc, a first
# page of .bss, .rodata) and a descendant 4; now about 3 and 2 (the census
# at load probes the table with a small set on the stack), on a kernel that
# maps 64 KiB around a read fault (fault_around_bytes): without that, each
# page the loader reads of a library is a fault of its own, and a larger
# one pays more of them.  The census of inherited descriptors at load is
# one poll(2) and no fault: the starts inherit nothing here, as most do.
if ! command -v python3 >/dev/null 2>&1; then
	skip "page faults of a start" "no python3"
else
	faults=$(timeout 120 python3 - "$NOLEAK_LIBRARY" "$nothing" <<'EOF'
import os, sys
lib, empty = sys.argv[1], sys.argv[2]
# What the harness left open (make's jobserver, a test runner's pipes) is
# not what a start inherits on a host: without it, the census of inherited
# descriptors is the one poll(2) most processes make.
os.closerange(3, 65536)
def mean(env, n=60):
    total = 0
    for _ in range(n):
        pid = os.posix_spawn('/bin/true', ['/bin/true'], env)
        total += os.wait4(pid, 0)[2].ru_minflt
    return total / n
for name, env in (('none', {}), ('empty', {'LD_PRELOAD': empty}),
                  ('owner', {'LD_PRELOAD': lib}),
                  ('descendant', {'LD_PRELOAD': lib, '_NOLEAK_PID': '1',
                                  'NOLEAK_SCOPE': 'tree'})):
    print(name, mean(env))
EOF
)
	echo "$faults" | sed 's/^/# /'
	# compare NAME at-most|more-than BASE MORE: NAME's mean against
	# BASE's plus MORE; false when either was not measured.
	compare() {
		printf '%s\n' "$faults" | awk -v n="$1" -v op="$2" -v b="$3" -v m="$4" '
			{ v[$1] = $2 }
			END {
				if (v[n] == "" || v[b] == "") exit 1
				d = v[n] - v[b] - m
				exit !(op == "more-than" ? d > 0 : d <= 0)
			}'
	}
	compare empty more-than none 1
	ok $? "an empty preloaded library costs page faults (the measure sees a library)" ||
		diag "$faults"
	compare owner at-most empty 5
	ok $? "the first process under the library: at most 5 page faults more than under an empty library" ||
		diag "$faults"
	compare descendant at-most empty 3
	ok $? "a descendant: at most 3 page faults more than under an empty library" ||
		diag "$faults"
fi

# ---- a dormant shell's children ---------------------------------------------
# dash starts each command from a vfork child; the shell is dormant, and in
# the tree scope nothing changes in what its children run: their exec goes
# straight on, with no stack mapped for a sweep and no probe of argv and
# the environment (each a system call, and in a vfork child the mapping
# lands in the parent's memory).
if ! command -v strace >/dev/null 2>&1; then
	skip "a dormant shell's children" "no strace"
else
	timeout 60 env -i PATH=/usr/bin:/bin NOLEAK_SCOPE=tree LD_PRELOAD="$NOLEAK_LIBRARY" \
		strace -f -qq -o "$work/trace" -e trace=mmap,munmap,process_vm_readv,execve \
		/bin/sh -c '/bin/true; /bin/true; echo done' >"$work/out" 2>&1
	# The lines of each child (not the shell, the first pid) before its
	# exec: what its exec cost in those calls.
	before=$(awk 'NR == 1 { shell = $1 }
		$1 != shell && !($1 in execd) {
			if ($2 ~ /^execve\(/) execd[$1] = 1; else print
		}' "$work/trace")
	children=$(awk 'NR == 1 { shell = $1 } $1 != shell && $2 ~ /^execve\(/ { print $1 }' \
		"$work/trace" | sort -u | wc -l)
	test "$(cat "$work/out")" = 'done' && test "$children" -ge 2 && test -z "$before"
	ok $? "a dormant shell's children map nothing and probe nothing before their exec" ||
		diag "children: $children" "$before" "$(head -20 "$work/trace")"
fi

done_testing
