# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2154 # $library, $inspector: the noleak wrapper's, which sources this file
# noleak-system.sh: 'noleak system enable|disable|status', host-wide
# protection through /etc/ld.so.preload, the file the dynamic loader reads
# before every dynamically linked program.  Sourced by the noleak wrapper,
# not run on its own: it uses the wrapper's $library and $inspector.
#
# A bad entry in that file reaches every program on the host, so enable
# first proves the library sound (its path, owner and mode, its
# architecture against /bin/true's, /bin/true running with it preloaded,
# and, as root on the real file, a program started in a private mount
# namespace where the new file is already in place), and only then
# replaces the file by rename: no program ever reads half of it.  Other
# entries stay as they were, in order.  The file is written in the
# loader's grammar only, paths and separators: no comment, since glibc's
# loader may read a comment after the first one as libraries to load
# (see system_edit).  Nothing else is kept anywhere: the library's entries
# are known by their file name, libnoleak.so.
#
# Exit status, as 'noleak check': 0 when the file is as asked (written,
# or already so), 1 when refused or failed (nothing changed), 2 for a bad
# command line.  status: 0 enabled and sound, 3 not enabled (LSB's "not
# running"), 1 when something is wrong, 2 for a bad command line.

system_usage() {
	cat <<USAGE
Usage: noleak system enable [--library PATH] [--root DIR]
  or:  noleak system disable [--library PATH] [--root DIR]
  or:  noleak system status [--library PATH] [--root DIR]
Protect every dynamically linked program on this host: enable names the
library in /etc/ld.so.preload, after checking that it is safe to load
everywhere (an absolute path, a root-owned file nobody else can write,
of this host's architecture, and /bin/true runs with it preloaded);
disable takes it out again; status says which, and what is wrong.
Other entries in the file are kept, in order; comments are not (the
loader would read them as libraries), and the file is replaced in one
rename.  Programs already running are unchanged.  Programs built with
GCC's -fsanitize=address stop at start while it is enabled; run them
with ASAN_OPTIONS=verify_asan_link_order=0.

      --library=PATH  the library (default: $library);
                      disable and status also match any */libnoleak.so
      --root=DIR      work on DIR/etc/ld.so.preload, the library being
                      PATH inside DIR (for tests and image builds)
  -h, --help          display this help and exit

Exit status is 0 on success, 1 when refused or failed (nothing is
changed), 2 for a bad command line; status exits 0 when enabled and
sound, 3 when not enabled, 1 when something is wrong.
See noleak(1) and libnoleak(7), HOST-WIDE USE.
USAGE
}

# system_die STATUS MESSAGE [usage]: MESSAGE on standard error; exits.
system_die() {
	printf '%s: %s\n' "$me" "$2" >&2
	[ -n "${3-}" ] && printf "Try '%s --help' for more information.\n" "$me" >&2
	exit "$1"
}

system_warn() {
	printf '%s: warning: %s\n' "$me" "$1" >&2
}

# system_ours ENTRY: true when ENTRY names this library: the path given
# (or the default), or any file called libnoleak.so.
system_ours() {
	[ "$1" = "$lib" ] || [ "${1##*/}" = libnoleak.so ]
}

# system_edit enable|disable|list FILE: FILE as the loader reads it, on
# standard output.  glibc's loader (elf/rtld.c, dl_main) splits the file
# on blanks, tabs, newlines and colons and loads every word.  It means
# '#' to start a comment that runs to the end of the line, but in glibc
# 2.36 only the first comment is sure to be removed: its loop searches
# from the start of the file again each time, over a length that shrinks
# by what it has passed, so a later comment is missed, or cut short,
# when it lies far enough into the file, and its words are loaded as
# libraries: "ERROR: ld.so: object '#' from /etc/ld.so.preload cannot be
# preloaded" in every program, then one line for each word after it.
# So the file is read as meant ('#' to the end of the line a comment)
# and written without any:
#   enable: our first entry replaced in place by $lib, any other of ours
#     dropped, $lib appended on a line of its own when there was none;
#   disable: every entry of ours dropped;
#   list: one line an entry, "ours PATH" or "other PATH", then, when the
#     file has comments, one line "comment TEXT" for each.
# A line keeps its other entries and the separators between them; its
# comment, the separators before its first entry and after its last go,
# and so does a line left with no entry (a blank or comment line too).
# The library's path comes through the environment, not awk -v, which
# would read a backslash in it as an escape.
system_edit() {
	NOLEAK_SYSTEM_LIB=$lib awk -v mode="$1" '
	function ours(t,  b) { b = t; sub(/.*\//, "", b); return t == lib || b == "libnoleak.so" }
	BEGIN { lib = ENVIRON["NOLEAK_SYSTEM_LIB"] }
	{
		code = $0
		if ((i = index(code, "#")) > 0) {
			comment[++comments] = substr(code, i)
			code = substr(code, 1, i - 1)
		}
		out = ""; kept = 0; rest = code
		while (match(rest, /[^ \t:]+/)) {
			sep = substr(rest, 1, RSTART - 1); tok = substr(rest, RSTART, RLENGTH)
			rest = substr(rest, RSTART + RLENGTH)
			if (mode == "list") { print (ours(tok) ? "ours " : "other ") tok; continue }
			if (ours(tok)) {
				if (mode != "enable" || placed) continue
				placed = 1; tok = lib
			}
			out = out (kept++ ? sep : "") tok
		}
		if (mode != "list" && kept) print out
	}
	END {
		if (mode == "list") for (i = 1; i <= comments; i++) print "comment " comment[i]
		if (mode == "enable" && !placed) print lib
	}' "$2"
}

# system_comments: when $preload has comments, which the file written
# will not have (system_edit), a warning quoting them, so that whoever
# wrote them can keep them elsewhere.
system_comments() {
	[ -e "$preload" ] || return 0
	system_edit list "$preload" | sed -n 's/^comment /  /p' >"$work/comments"
	[ -s "$work/comments" ] || return 0
	system_warn "the comments of '$preload' are not kept (glibc's loader reads a comment after the first as names of libraries to load); they were:"
	cat "$work/comments" >&2
}

# system_unsafe PATH: a sentence saying why PATH (inside $root) cannot be
# trusted, on standard output, and status 0; status 1 when it can: PATH
# and every directory above it (up to $root) belong to root (or, not run
# as root, to the caller, whose tree --root then is) and are not writable
# by group or others, since whoever can write any of them could change
# what every program loads.
system_unsafe() {
	p=$1
	while :; do
		f=$root$p
		[ "$p" = / ] && f=${root:-/}
		owner=$(stat -c %u "$f" 2>/dev/null) || {
			echo "'$f' cannot be read"
			return 0
		}
		if [ "$owner" != 0 ] && [ "$owner" != "$uid" ]; then
			echo "'$f' belongs to user $owner, not root"
			return 0
		fi
		case $(stat -c %A "$f") in
		?????w??w*) echo "'$f' is writable by its group and by others"; return 0 ;;
		?????w*) echo "'$f' is writable by its group"; return 0 ;;
		????????w*) echo "'$f' is writable by others"; return 0 ;;
		esac
		[ "$p" = / ] && return 1
		p=${p%/*}
		p=${p:-/}
	done
}

# system_check_library PATH: status 0 when the library at PATH (inside
# $root) may be named in ld.so.preload; otherwise 1, with $why saying
# why, naming the path.  Runs /bin/true with it preloaded.
system_check_library() {
	file=$root$1
	case $1 in
	/*) ;;
	*) why="the library '$1' is not an absolute path"; return 1 ;;
	esac
	# What the loader would read as another path, or as more than one.
	# shellcheck disable=SC1003 # the pattern is a single backslash
	case $1 in
	*[[:space:]]*)
		why="the library path '$1' contains a blank, which the loader reads as the end of a path"
		return 1 ;;
	*:*) why="the library path '$1' contains a colon, which the loader reads as the end of a path"; return 1 ;;
	*'#'*) why="the library path '$1' contains a '#', which the loader reads as the start of a comment"; return 1 ;;
	*'$'*) why="the library path '$1' contains '\$', which the loader would expand"; return 1 ;;
	*'\'*)
		why="the library path '$1' contains a backslash, which readers of /etc/ld.so.preload other than the loader (shells, awk) take as an escape"
		return 1 ;;
	*[![:print:]]*) why="the library path '$1' contains a control character"; return 1 ;;
	esac
	if [ -L "$file" ]; then
		why="the library '$file' is a symbolic link (to '$(readlink "$file")'); give the file itself"
		return 1
	fi
	[ -e "$file" ] || { why="the library '$file' does not exist"; return 1; }
	[ -f "$file" ] || { why="the library '$file' is not a regular file"; return 1; }
	if unsafe=$(system_unsafe "$1"); then
		why="the library '$file' is not safe to load into every program: $unsafe"
		return 1
	fi
	[ -r "$file" ] || { why="the library '$file' cannot be read"; return 1; }
	if [ "$(head -c 4 "$file" | od -An -c | tr -d ' ')" != '177ELF' ]; then
		why="the library '$file' is not an ELF file"
		return 1
	fi
	[ -x "$inspector" ] || {
		why="cannot check the architecture of '$file': the inspector '$inspector' is missing"
		return 1
	}
	if ! what=$("$inspector" loadable "$file" /bin/true 2>&1); then
		why="the library '$file' is not of this host's architecture: ${what%%: the library cannot*}"
		return 1
	fi
	# A clean environment, as init would give: only the library.  What
	# the present /etc/ld.so.preload makes every program print (a stale
	# entry that enable is about to replace) is not the library's doing:
	# only what the library adds counts.
	base=$(timeout -k 5 20 env -i /bin/true 2>&1 >/dev/null)
	err=$(timeout -k 5 20 env -i LD_PRELOAD="$file" /bin/true 2>&1 >/dev/null)
	st=$?
	if [ $st -ne 0 ] || { [ -n "$err" ] && [ "$err" != "$base" ]; }; then
		why="'LD_PRELOAD=$file /bin/true' $( [ $st -eq 0 ] || echo "exited $st and ")printed: ${err:-nothing}"
		return 1
	fi
	return 0
}

# system_try NEWFILE: the real loader's way in: in a private mount
# namespace, NEWFILE takes the place of /etc/ld.so.preload (bound over
# it, or added to an overlay of /etc when there is none), and programs
# started there must run cleanly with $lib mapped (what the programs
# started before it, with the present file, print does not count: a
# stale entry there is what enable replaces).  Status 0 when they
# do, 1 when not ($why says how), 2 when it cannot be tried here (not
# root, no unshare, no mount namespaces).
system_try() {
	[ "$uid" = 0 ] && command -v unshare >/dev/null 2>&1 || return 2
	unshare -m --propagation private true 2>/dev/null || return 2
	try=$(mktemp -d "${TMPDIR:-/tmp}/noleak-system.XXXXXX") || return 2
	# shellcheck disable=SC2015 # the fallback runs when any step fails
	mkdir "$try/up" "$try/work" && cp "$1" "$try/up/ld.so.preload" &&
		chmod 644 "$try/up/ld.so.preload" || { rm -rf "$try"; return 2; }
	timeout -k 5 30 unshare -m --propagation private sh -c '
		if [ -e /etc/ld.so.preload ]; then
			mount --bind "$1/up/ld.so.preload" /etc/ld.so.preload || exit 99
		elif ! mount -t overlay overlay \
			-o "lowerdir=/etc,upperdir=$1/up,workdir=$1/work" /etc 2>/dev/null; then
			cp -a /etc "$1/etc" 2>/dev/null && cp "$1/up/ld.so.preload" "$1/etc/" &&
				mount --bind "$1/etc" /etc || exit 99
		fi
		env -i /bin/true 2>"$1/out" || exit
		env -i grep -qF -- "$2" /proc/self/maps 2>>"$1/out" || exit 98
	' noleak-system "$try" "$lib" >/dev/null 2>&1
	st=$?
	err=$(cat "$try/out")
	rm -rf "$try"
	case $st in
	0) [ -z "$err" ] && return 0
		why="a program started with the new /etc/ld.so.preload printed: $err" ;;
	99) return 2 ;;
	98) why="a program started with the new /etc/ld.so.preload did not load '$lib'${err:+: $err}" ;;
	*) why="/bin/true started with the new /etc/ld.so.preload exited $st${err:+ and printed: $err}" ;;
	esac
	return 1
}

# system_write CONTENT-FILE: $preload becomes a copy of CONTENT-FILE, by
# rename from a temporary file beside it (mode 0644, root's when run as
# root, written to disk before the rename and the directory after), or
# is removed when CONTENT-FILE holds nothing but blanks.
system_write() {
	if ! grep -q '[^[:space:]]' "$1"; then
		rm -f "$preload" || system_die 1 "cannot remove '$preload'"
		sync "$etc" 2>/dev/null
		return 0
	fi
	tmp=$(mktemp "$etc/.ld.so.preload.noleak.XXXXXX" 2>/dev/null) ||
		system_die 1 "cannot write in '$etc'"
	if cat "$1" >"$tmp" && chmod 644 "$tmp" &&
		{ [ "$uid" != 0 ] || chown 0:0 "$tmp"; } &&
		sync "$tmp" && mv -f "$tmp" "$preload"; then
		tmp=
		sync "$etc" 2>/dev/null
		return 0
	fi
	rm -f "$tmp"
	tmp=
	system_die 1 "cannot write '$preload'"
}

# system_conf_file LIBRARY: the configuration file LIBRARY (a path
# inside $root) reads, $sysconfdir/noleak.conf of its own build: the
# path compiled into it, read from the file; this wrapper's build's
# when the file does not say.
system_conf_file() {
	c=$(LC_ALL=C grep -a -o '/[!-~]*/noleak\.conf' "$root$1" 2>/dev/null | head -n 1)
	printf '%s\n' "${c:-$config_file}"
}

# system_conf: what the library will make of $conf (its configuration
# file, system_conf_file), on standard output; a warning, and status 1,
# when it ignores the file.
system_conf() {
	if [ -L "$conf" ]; then
		echo "configuration: $conf is a symbolic link"
		system_warn "'$conf' is a symbolic link: the library reads only a regular file owned by root"
		return 1
	fi
	if [ ! -e "$conf" ]; then
		echo "configuration: $conf does not exist (the library's defaults apply)"
		return 0
	fi
	if [ ! -f "$conf" ]; then
		echo "configuration: $conf is not a regular file"
		system_warn "'$conf' is not a regular file: the library ignores it"
		return 1
	fi
	owner=$(stat -c %u "$conf")
	case $owner:$(stat -c %A "$conf") in
	0:?????w* | 0:????????w*)
		echo "configuration: $conf (writable by group or others)"
		system_warn "'$conf' is writable by group or others: the library ignores it (chmod go-w '$conf')"
		return 1 ;;
	0:*) echo "configuration: $conf"; return 0 ;;
	esac
	echo "configuration: $conf (owned by user $owner)"
	system_warn "'$conf' belongs to user $owner, not root: the library ignores it (chown root: '$conf')"
	return 1
}

# system_lock: one noleak system at a time changes the file: a lock on
# the directory itself, so no lock file is left behind.
system_lock() {
	command -v flock >/dev/null 2>&1 || return 0
	exec 9<"$etc"
	flock -w 30 9 || system_die 1 "'$etc' is locked by another 'noleak system' (waited 30 s)"
}

# system_check_file: $preload, if there, must be a regular file: a link
# would be replaced by the rename, a directory cannot be.
system_check_file() {
	if [ -L "$preload" ]; then
		system_die 1 "'$preload' is a symbolic link (to '$(readlink "$preload")'); edit the file it points to by hand"
	fi
	if [ -e "$preload" ] && [ ! -f "$preload" ]; then
		system_die 1 "'$preload' is not a regular file"
	fi
	if [ -e "$preload" ] && [ ! -r "$preload" ]; then
		system_die 1 "cannot read '$preload'"
	fi
}

system_enable() {
	system_check_file
	system_check_library "$lib" || system_die 1 "refused: $why"
	system_lock
	current=$preload
	[ -e "$preload" ] || current=/dev/null
	system_edit enable "$current" >"$work/new" || system_die 1 "cannot read '$preload'"
	if [ -e "$preload" ] && cmp -s "$work/new" "$preload"; then
		echo "already enabled: $preload names $lib"
		return 0
	fi
	if [ -z "$root" ]; then
		system_try "$work/new"
		case $? in
		1) system_die 1 "refused: $why" ;;
		2) system_warn "could not try the new $preload in a private mount namespace (needs root, unshare and mount namespaces); checked with LD_PRELOAD only" ;;
		esac
	fi
	system_edit list "$current" | awk '$1 == "ours"' >"$work/old"
	system_comments
	system_write "$work/new"
	if [ -s "$work/old" ] && ! grep -qxF "ours $lib" "$work/old"; then
		echo "enabled: $preload names $lib (in place of $(sed 's/^ours //' "$work/old" | tr '\n' ' ' | sed 's/ $//'))"
	else
		echo "enabled: $preload names $lib"
	fi
	echo "Programs started from now on load it; running ones are unchanged."
	system_warn "programs built with GCC's -fsanitize=address (AddressSanitizer's shared runtime) now stop at start (\"ASan runtime does not come first in initial library list\"); run them with ASAN_OPTIONS=verify_asan_link_order=0"
	system_conf >/dev/null
	return 0
}

system_disable() {
	system_check_file
	if [ ! -e "$preload" ]; then
		echo "not enabled: $preload does not exist; nothing to do"
		return 0
	fi
	system_lock
	system_edit list "$preload" | awk '$1 == "ours" { print $2 }' >"$work/old"
	if [ ! -s "$work/old" ]; then
		echo "not enabled: $preload does not name libnoleak; nothing to do"
		return 0
	fi
	system_edit disable "$preload" >"$work/new" || system_die 1 "cannot read '$preload'"
	system_comments
	system_write "$work/new"
	if [ -e "$preload" ]; then
		echo "disabled: removed $(tr '\n' ' ' <"$work/old" | sed 's/ $//') from $preload; its other entries stay"
	else
		echo "disabled: removed $preload, which named nothing else"
	fi
	echo "Programs started from now on run without it; running ones are unchanged."
	return 0
}

system_status() {
	bad=0
	if [ -L "$preload" ] || { [ -e "$preload" ] && [ ! -f "$preload" ]; }; then
		system_warn "'$preload' is not a regular file"
		bad=1
	fi
	if [ -f "$preload" ] && [ ! -r "$preload" ]; then
		system_die 1 "cannot read '$preload'"
	fi
	if [ -f "$preload" ]; then
		system_edit list "$preload" >"$work/list"
	else
		: >"$work/list"
	fi
	ours=$(awk '$1 == "ours" { print $2 }' "$work/list")
	# The configuration file of the library named, or of the one given.
	for entry in $ours; do
		[ -f "$root$entry" ] && conf=$root$(system_conf_file "$entry")
		break
	done
	others=$(awk '$1 == "other" { print $2 }' "$work/list" | tr '\n' ' ' | sed 's/ $//')
	if [ -n "$ours" ]; then
		# shellcheck disable=SC2086,SC2116 # the paths, one line, split on purpose
		echo "enabled: $preload names $(echo $ours)"
	elif [ -e "$preload" ]; then
		echo "disabled: $preload does not name libnoleak"
	else
		echo "disabled: $preload does not exist"
	fi
	[ -e "$preload" ] && echo "other entries: ${others:-none}"
	if grep -q '^comment ' "$work/list"; then
		system_warn "'$preload' has comments, which glibc's loader may read as names of libraries to load (all but the first); 'noleak system enable' writes the file without them"
	fi
	for entry in $ours; do
		if [ ! -e "$root$entry" ] && [ ! -L "$root$entry" ]; then
			echo "library: $root$entry is MISSING"
			printf '%s: WARNING: %s names %s, which does not exist: every program started prints\n' "$me" "$preload" "$entry" >&2
			printf "  \"ERROR: ld.so: object '%s' from /etc/ld.so.preload cannot be preloaded (cannot open shared object file): ignored.\"\n" "$entry" >&2
			printf "  Run 'noleak system disable%s', or reinstall the library.\n" "${root:+ --root $root}" >&2
			bad=1
		elif system_check_library "$entry"; then
			echo "library: $root$entry loads (checked with /bin/true)"
		else
			echo "library: $root$entry is NOT SOUND"
			printf '%s: WARNING: %s names %s, and %s\n' "$me" "$preload" "$entry" "$why" >&2
			printf "  Run 'noleak system disable%s', or reinstall the library.\n" "${root:+ --root $root}" >&2
			bad=1
		fi
	done
	# shellcheck disable=SC2086 # one path a word, split on purpose
	[ "$(printf '%s\n' $ours | wc -l)" -le 1 ] ||
		{ system_warn "$preload names libnoleak more than once; 'noleak system enable' keeps one"; bad=1; }
	system_conf || bad=1
	[ $bad -eq 0 ] || exit 1
	[ -n "$ours" ] || exit 3
	exit 0
}

# system_main system ARG...: the subcommand; exits.
system_main() {
	shift
	me="noleak system"
	action='' root='' lib=$library
	set -f	# entries are words of the file, never patterns
	while [ $# -gt 0 ]; do
		case $1 in
		-h | --help) system_usage; exit 0 ;;
		--library=*) lib=${1#--library=}; shift ;;
		--root=*) root=${1#--root=}; shift ;;
		--library | --root)
			[ $# -ge 2 ] || system_die 2 "option '$1' requires an argument" usage
			case $1 in
			--library) lib=$2 ;;
			*) root=$2 ;;
			esac
			shift 2 ;;
		--) shift; break ;;
		-?*) system_die 2 "unrecognized option '$1'" usage ;;
		enable | disable | status)
			[ -z "$action" ] || system_die 2 "one command at a time: unexpected '$1'" usage
			action=$1; shift ;;
		*) system_die 2 "unknown command '$1': expected enable, disable or status" usage ;;
		esac
	done
	[ $# -eq 0 ] || system_die 2 "unexpected '$1'" usage
	[ -n "$action" ] || system_die 2 "no command given: expected enable, disable or status" usage
	if [ -n "$root" ]; then
		[ -d "$root" ] || system_die 2 "invalid root '$root': not a directory" usage
		root=$(cd "$root" && pwd -P) || system_die 2 "invalid root '$root'" usage
		[ "$root" != / ] || root=
	fi
	etc=$root/etc
	preload=$etc/ld.so.preload
	conf=$root$(system_conf_file "$lib")
	[ -d "$etc" ] || system_die 1 "'$etc' is not a directory"
	uid=$(id -u)
	umask 022
	work=$(mktemp -d "${TMPDIR:-/tmp}/noleak-system.XXXXXX") ||
		system_die 1 "cannot make a temporary directory"
	tmp=
	trap 'rm -rf "$work"; [ -z "$tmp" ] || rm -f "$tmp"' EXIT
	trap 'exit 1' HUP INT TERM
	case $action in
	enable) system_enable ;;
	disable) system_disable ;;
	status) system_status ;;
	esac
	exit 0
}
