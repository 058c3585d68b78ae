# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2154 # $library, $inspector: the noleak wrapper's, which sources this file
# noleak-unit.sh: 'noleak enable-unit' and 'noleak disable-unit', a systemd
# drop-in (UNIT.d/noleak.conf) that preloads the library into a service
# without editing its unit.  Sourced by the noleak wrapper, not run on its
# own: it uses the wrapper's $library, $inspector, die and check_keep.
#
# Exit status, as the wrapper's: 0 when the drop-in is as asked (written,
# removed, or already so), 125 for a bad option or unit name or a drop-in
# that cannot be written, 126 when the unit's program is found but the
# library cannot be loaded into it (statically linked, another word size),
# 127 when the unit or its program cannot be found.
#
# NOLEAK_SYSTEMD_DIR, for tests and image builders: the one directory
# where units are looked for and drop-ins written (default: drop-ins in
# /etc/systemd/system, units along systemd's own search path).
# NOLEAK_SYSTEMCTL: the command run as "$NOLEAK_SYSTEMCTL daemon-reload"
# after a change (default: systemctl, and only when systemd is running).

# The first line of every drop-in this writes: disable-unit and the
# package's purge remove only files that start with it.
unit_marker='# Written by noleak enable-unit; remove it with: noleak disable-unit'

unit_usage() {
	cat <<USAGE
Usage: noleak enable-unit [--keep SPEC]... UNIT
  or:  noleak disable-unit UNIT
Protect a systemd service without editing its unit: enable-unit writes
the drop-in $unit_dir/UNIT.d/noleak.conf, which sets
LD_PRELOAD=$library
(and NOLEAK_KEEP when --keep is given), and runs 'systemctl daemon-reload'
when systemd is running; disable-unit removes it.  Both are idempotent.
Restart the service for the change to take effect.

  -k, --keep=SPEC    descriptors that must still reach the service's child
                     programs, as for 'noleak --keep' (repeatable; the
                     drop-in sets NOLEAK_KEEP)
  -h, --help         display this help and exit

UNIT is a service name (legacyd or legacyd.service).  A unit whose
ExecStart runs a statically linked program, which the library cannot be
loaded into, is refused.

Exit status is 0 when the drop-in is as asked, 125 for a bad option, unit
name or a drop-in that cannot be written, 126 when the unit's program
cannot be protected, 127 when the unit or its program cannot be found.
See noleak(1).
USAGE
}

# unit_name NAME: sets $unit to NAME as a service unit name (".service"
# added when NAME has no unit suffix, as systemctl does), or dies naming
# what is wrong with it.
unit_name() {
	case $1 in
	'') die "invalid unit '': expected a service name such as legacyd.service" usage ;;
	*/*) die "invalid unit '$1': expected a unit name, not a path (such as ${1##*/})" usage ;;
	*.service) unit=$1 ;;
	*.socket | *.target | *.timer | *.mount | *.automount | *.swap | *.path | \
	*.slice | *.scope | *.device)
		die "invalid unit '$1': only a service can be protected (NAME.service)" usage ;;
	*) unit=$1.service ;;
	esac
	case $unit in
	*[!A-Za-z0-9:_.@\\-]*)
		die "invalid unit '$1': a unit name has only letters, digits and ':_.@\\-'" usage ;;
	.* | -*) die "invalid unit '$1': a unit name starts with a letter or digit" usage ;;
	esac
	[ ${#unit} -le 255 ] || die "invalid unit '$1': longer than 255 characters" usage
}

# unit_file: sets $unit_path to the file that defines $unit (for an
# instance foo@bar.service, foo@bar.service or else the template
# foo@.service), the first along the search path; empty when none does.
unit_file() {
	unit_path=
	case $unit in
	*@?*.service) template=${unit%%@*}@.service ;;
	*) template= ;;
	esac
	for dir in $unit_search; do
		for name in "$unit" $template; do
			if [ -e "$dir/$name" ] || [ -L "$dir/$name" ]; then
				unit_path=$dir/$name
				return 0
			fi
		done
	done
}

# unit_execs: the ExecStart= commands of $unit_path as systemd reads them
# (its drop-ins after it, in name order, an empty ExecStart= clearing the
# list), one a line.  Our own drop-in sets no ExecStart and is skipped.
unit_execs() {
	set -- "$unit_path"
	for dir in $unit_search; do
		for d in "$dir/$unit.d" ${template:+"$dir/$template.d"}; do
			for f in "$d"/*.conf; do
				[ -f "$f" ] && [ "${f##*/}" != noleak.conf ] && set -- "$@" "$f"
			done
		done
	done
	awk '
		/\\$/ { line = line substr($0, 1, length($0) - 1) " "; next }
		{ $0 = line $0; line = "" }
		/^[ \t]*[#;]/ { next }
		/^[ \t]*\[/ { section = $0; gsub(/[ \t]/, "", section); next }
		section == "[Service]" && /^[ \t]*ExecStart[ \t]*=/ {
			v = $0; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]+$/, "", v)
			if (v == "") n = 0; else cmd[++n] = v
		}
		END { for (i = 1; i <= n; i++) print cmd[i] }' "$@"
}

# unit_program COMMAND: sets $prog to the program an ExecStart= COMMAND
# runs: its first word, less systemd's prefixes (@ - : + !), looked up
# along systemd's fixed path when it has no slash.  Dies when it cannot
# be told (a specifier or variable) or found.
unit_program() {
	set -f
	# shellcheck disable=SC2086 # the words of the ExecStart= line, split on purpose
	set -- $1
	set +f
	word=$1
	while :; do
		case $word in
		[@:+!-]*) word=${word#?} ;;
		*) break ;;
		esac
	done
	case $word in
	'') [ $# -ge 2 ] && word=$2 ;;	# "@ /bin/prog argv0" style
	esac
	case $word in
	\"*\" | \'*\') word=${word#?}; word=${word%?} ;;
	esac
	case $word in
	*%* | *\$*)
		die "$unit: cannot tell which program ExecStart '$word' runs (specifiers and variables are not expanded); write the drop-in by hand (see noleak(1))" ;;
	/*) prog=$word ;;
	*/*) die "$unit: ExecStart '$word' is a relative path, which systemd refuses" ;;
	*)
		prog=
		for dir in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
			if [ -f "$dir/$word" ] && [ -x "$dir/$word" ]; then
				prog=$dir/$word
				break
			fi
		done
		if [ -z "$prog" ]; then
			printf "%s: %s: ExecStart runs '%s', which is not found\n" "$me" "$unit" "$word" >&2
			exit 127
		fi ;;
	esac
	if [ ! -e "$prog" ]; then
		printf "%s: %s: ExecStart runs '%s', which does not exist\n" "$me" "$unit" "$prog" >&2
		exit 127
	fi
	if [ ! -f "$prog" ] || [ ! -x "$prog" ]; then
		printf "%s: %s: ExecStart runs '%s', which is not an executable file\n" "$me" "$unit" "$prog" >&2
		exit 126
	fi
}

# unit_reload: tell systemd its units changed, when it is running.
unit_reload() {
	if [ -n "${NOLEAK_SYSTEMCTL-}" ]; then
		systemctl=$NOLEAK_SYSTEMCTL
	elif [ -z "${NOLEAK_SYSTEMD_DIR-}" ] && [ -d /run/systemd/system ]; then
		systemctl=systemctl
	else
		return 0
	fi
	$systemctl daemon-reload ||
		die "'$systemctl daemon-reload' failed; run it once systemd can be reached"
}

unit_enable() {
	unit_file
	if [ -z "$unit_path" ]; then
		# shellcheck disable=SC2086,SC2116 # the directories, one line, split on purpose
		printf "%s: unit '%s' not found in %s\n" "$me" "$unit" "$(echo $unit_search)" >&2
		exit 127
	fi
	if [ "$(readlink -f "$unit_path")" = /dev/null ]; then
		printf "%s: unit '%s' is masked (%s)\n" "$me" "$unit" "$unit_path" >&2
		exit 127
	fi
	execs=$(unit_execs) || die "$unit: cannot read '$unit_path'"
	[ -n "$execs" ] || die "$unit: '$unit_path' has no ExecStart= in [Service]"
	printf '%s\n' "$execs" | {
		while IFS= read -r cmd; do
			unit_program "$cmd"
			# A program the library cannot be loaded into: the drop-in
			# would protect nothing, silently.
			if why=$("$inspector" loadable "$library" "$prog" 2>/dev/null); then
				:
			elif [ -n "$why" ]; then
				printf '%s: %s: refused: %s\n' "$me" "$unit" "$why" >&2
				exit 126
			fi
		done
		exit 0
	} || exit $?

	case $library in
	*[' :']*) die "the library path '$library' contains a space or a colon, which LD_PRELOAD cannot express" ;;
	esac
	[ -r "$library" ] || die "cannot find the library '$library'"
	case $keep in
	*[!\ -~]*) die "invalid keep entry '$keep': control characters cannot go in a unit file" usage ;;
	esac

	{
		printf '%s %s\n' "$unit_marker" "$unit"
		printf '[Service]\n'
		printf 'Environment=LD_PRELOAD=%s\n' "$library"
		if [ -n "$keep" ]; then
			# Quoted for systemd: \ and " escaped, % doubled (specifiers).
			printf 'Environment="NOLEAK_KEEP=%s"\n' "$(printf '%s' "$keep" |
				sed -e 's/[\\"]/\\&/g' -e 's/%/%%/g')"
		fi
	} >"$work_file" || die "cannot write '$work_file'"

	if [ -e "$dropin" ] || [ -L "$dropin" ]; then
		if [ "$(head -n 1 "$dropin" 2>/dev/null | cut -c1-${#unit_marker})" != "$unit_marker" ]; then
			die "'$dropin' exists and was not written by noleak enable-unit; left as it is"
		fi
		if cmp -s "$work_file" "$dropin"; then
			echo "$unit: already enabled ($dropin)"
			return 0
		fi
	fi
	mkdir -p "$unit_dir/$unit.d" 2>/dev/null ||
		die "cannot create '$unit_dir/$unit.d'"
	tmp=$dropin.tmp.$$
	# shellcheck disable=SC2015 # the fallback runs when any step fails
	cp "$work_file" "$tmp" 2>/dev/null && chmod 644 "$tmp" && mv -f "$tmp" "$dropin" || {
		rm -f "$tmp"
		die "cannot write '$dropin'"
	}
	unit_reload
	echo "$unit: enabled ($dropin); restart it to take effect: systemctl restart $unit"
}

unit_disable() {
	if [ ! -e "$dropin" ] && [ ! -L "$dropin" ]; then
		echo "$unit: not enabled; nothing to do"
		return 0
	fi
	if [ "$(head -n 1 "$dropin" 2>/dev/null | cut -c1-${#unit_marker})" != "$unit_marker" ]; then
		die "'$dropin' was not written by noleak enable-unit; left as it is"
	fi
	rm -f "$dropin" || die "cannot remove '$dropin'"
	rmdir "$unit_dir/$unit.d" 2>/dev/null
	unit_reload
	echo "$unit: disabled (removed $dropin); restart it to take effect: systemctl restart $unit"
}

# unit_main enable-unit|disable-unit ARG...: the subcommand; exits.
unit_main() {
	action=$1
	shift
	me="noleak $action"
	unit_dir=${NOLEAK_SYSTEMD_DIR:-/etc/systemd/system}
	if [ -n "${NOLEAK_SYSTEMD_DIR-}" ]; then
		unit_search=$NOLEAK_SYSTEMD_DIR
	else
		unit_search="/etc/systemd/system /run/systemd/system /run/systemd/generator
			/usr/local/lib/systemd/system /lib/systemd/system /usr/lib/systemd/system
			/run/systemd/generator.late"
	fi
	case $unit_dir in
	/*) ;;
	*) die "invalid NOLEAK_SYSTEMD_DIR '$unit_dir': expected an absolute path" ;;
	esac
	keep=
	while [ $# -gt 0 ]; do
		case $1 in
		-h | --help) unit_usage; exit 0 ;;
		-k | --keep | --keep=* | -k?*)
			[ "$action" = enable-unit ] ||
				die "unrecognized option '${1%%=*}' (only enable-unit takes --keep)" usage
			case $1 in
			--keep=*) add_keep "${1#--keep=}"; shift ;;
			-k?*) add_keep "${1#-k}"; shift ;;
			*)
				[ $# -ge 2 ] || die "option '$1' requires an argument" usage
				add_keep "$2"; shift 2 ;;
			esac ;;
		--) shift; break ;;
		-?*) die "unrecognized option '$1'" usage ;;
		*) break ;;
		esac
	done
	[ $# -ge 1 ] || die "no unit given" usage
	[ $# -eq 1 ] || die "one unit at a time: unexpected '$2'" usage
	unit_name "$1"
	dropin=$unit_dir/$unit.d/noleak.conf
	umask 022
	work_file=$(mktemp "${TMPDIR:-/tmp}/noleak-unit.XXXXXX") ||
		die "cannot make a temporary file"
	trap 'rm -f "$work_file"' EXIT
	case $action in
	enable-unit) unit_enable ;;
	disable-unit) unit_disable ;;
	esac
	exit 0
}
