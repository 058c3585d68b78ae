#!/bin/bash
# SPDX-License-Identifier: MIT
# deb-test.sh SRCDIR OUTDIR: the Debian packages, built and tested as a
# fleet would meet them (`make deb-test`; CI runs it).
#
#   1. dpkg-buildpackage -us -uc -b on a copy of the tree (the files git
#      knows, none of the build's), as debian/changelog has it;
#   2. the same again as VERSION+1, a new changelog entry, for an upgrade;
#   3. lintian on the second build: no error and no warning (overrides in
#      debian/*.lintian-overrides, each with its reason);
#   4. piuparts, in a fresh Debian 12 chroot: install and purge, and
#      install the first build then upgrade to the second, remove and
#      purge, with the file system compared to the start; its custom
#      scripts (debian/piuparts/) check that /etc/ld.so.preload is
#      never made, protect a unit with `noleak enable-unit` after install
#      and check that purge removes that drop-in.
#
# DEB_BUILD_OPTIONS passes through (CI sets nocheck: `make check` ran
# already).  The packages are left in OUTDIR.  Output is TAP-like, with
# "# DEB PASS: N" and "# DEB FAIL: N" at the end; exit 0 when all passed.
# Needs root (piuparts), dpkg-dev, debhelper, lintian, piuparts and
# debootstrap, and a Debian mirror (DEB_TEST_MIRROR).
set -u
srcdir=$(cd "${1:?usage: deb-test.sh SRCDIR OUTDIR}" && pwd) || exit 2
out=${2:?usage: deb-test.sh SRCDIR OUTDIR}
mirror=${DEB_TEST_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$out" && out=$(cd "$out" && pwd) || exit 2
work=$(mktemp -d /var/tmp/noleak-deb.XXXXXX) || exit 2
trap 'rm -rf "$work"' EXIT

n=0 pass=0 fail=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		pass=$((pass + 1)); echo "ok $n - $2"
	else
		fail=$((fail + 1)); echo "not ok $n - $2"
	fi
}
# show FILE: the last lines of a log, as TAP comments.
show() { tail -n "${2:-40}" "$1" | sed 's/^/# /'; }

for tool in dpkg-buildpackage dh lintian piuparts debootstrap; do
	command -v $tool >/dev/null 2>&1 || {
		echo "deb-test.sh: $tool is not installed (apt-get install dpkg-dev debhelper lintian piuparts debootstrap)" >&2
		exit 2
	}
done

# copy DIR: the source tree as git has it, working-tree contents, without
# anything git ignores (the build's own files).
copy() {
	mkdir -p "$1"
	(cd "$srcdir" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' |
		tar --null -T - -cf -) | tar -xf - -C "$1"
}

version=$(dpkg-parsechangelog -l "$srcdir/debian/changelog" -SVersion)
next=$version+1
start=$(date +%s)

# ---- two builds -------------------------------------------------------------
copy "$work/old/noleak"
(cd "$work/old/noleak" && dpkg-buildpackage -us -uc -b) >"$out/build-$version.log" 2>&1
ok $? "dpkg-buildpackage -us -uc -b builds $version (DEB_BUILD_OPTIONS='${DEB_BUILD_OPTIONS-}'; $(( $(date +%s) - start )) s)" ||
	show "$out/build-$version.log"

copy "$work/new/noleak"
{
	printf 'noleak (%s) unstable; urgency=medium\n\n  * Rebuild, for the upgrade test.\n\n' "$next"
	printf ' -- %s  %s\n\n' "$(dpkg-parsechangelog -l "$srcdir/debian/changelog" -SMaintainer)" "$(date -R)"
	cat "$srcdir/debian/changelog"
} >"$work/new/noleak/debian/changelog"
t=$(date +%s)
(cd "$work/new/noleak" && dpkg-buildpackage -us -uc -b) >"$out/build-$next.log" 2>&1
ok $? "dpkg-buildpackage builds $next, for the upgrade ($(( $(date +%s) - t )) s)" ||
	show "$out/build-$next.log"

rm -rf "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo "$out/old"
mkdir -p "$out/old"
cp "$work"/old/*.deb "$out/old/" 2>/dev/null
cp "$work"/new/*.deb "$work"/new/*.changes "$work"/new/*.buildinfo "$out/" 2>/dev/null
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
changes=$out/noleak_${next}_$arch.changes
test -f "$changes" && test -f "$out/noleak_${next}_$arch.deb" && test -f "$out/libnoleak_${next}_$arch.deb"
ok $? "the builds made noleak and libnoleak .debs"

# ---- the layout ---------------------------------------------------------------
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
contents=$( (dpkg-deb -c "$out/noleak_${next}_$arch.deb"; dpkg-deb -c "$out/libnoleak_${next}_$arch.deb") 2>&1 | awk '{ print $6 }')
missing=
for f in ./usr/bin/noleak ./usr/lib/$multiarch/noleak/libnoleak.so \
	./usr/libexec/noleak/noleak-inspect ./usr/share/noleak/noleak-unit.sh \
	./usr/share/noleak/noleak-system.sh \
	./usr/share/man/man1/noleak.1.gz ./usr/share/man/man5/noleak.conf.5.gz \
	./usr/share/man/man7/libnoleak.7.gz \
	./usr/share/doc/noleak/examples/noleak.conf ./usr/share/doc/noleak/copyright \
	./usr/share/doc/libnoleak/copyright; do
	printf '%s\n' "$contents" | grep -qxF "$f" || missing="$missing $f"
done
test -z "$missing"
ok $? "the packages hold the wrapper, the library under /usr/lib/$multiarch/noleak, the inspector, man pages, examples, copyright" ||
	echo "# missing:$missing"
dpkg-deb --fsys-tarfile "$out/noleak_${next}_$arch.deb" | tar -xOf - ./usr/bin/noleak |
	grep -qx "library=\${NOLEAK_LIBRARY:-'/usr/lib/$multiarch/noleak/libnoleak.so'}" &&
dpkg-deb --fsys-tarfile "$out/noleak_${next}_$arch.deb" | tar -xOf - ./usr/share/doc/noleak/examples/noleak.conf |
	grep -qx "Environment=LD_PRELOAD=/usr/lib/$multiarch/noleak/libnoleak.so"
ok $? "the wrapper and the drop-in example name the packaged library's path"

# ---- lintian --------------------------------------------------------------------
t=$(date +%s)
lintian --fail-on error,warning --display-info "$changes" >"$out/lintian.log" 2>&1
st=$?
ok $st "lintian: no error, no warning ($(grep -c '^[EWIP]:' "$out/lintian.log") info tags; $(( $(date +%s) - t )) s)"
sed 's/^/# /' "$out/lintian.log"

# ---- piuparts -------------------------------------------------------------------
# The first build as an apt repository, which piuparts installs from
# before it upgrades to the second build's files.
repo=$work/repo
mkdir -p "$repo"
cp "$out"/old/*.deb "$repo/"
(cd "$repo" && dpkg-scanpackages --multiversion . >Packages 2>/dev/null)
rm -f "$out/piuparts.log"	# piuparts appends
t=$(date +%s)
piuparts --distribution=bookworm --mirror="$mirror main" \
	--bindmount="$repo" \
	--extra-repo="deb [trusted=yes] file://$repo ./" \
	--scriptsdir="$srcdir/debian/piuparts" \
	--warn-on-debsums-errors --skip-logrotatefiles-test \
	--tmpdir="$work" --log-file="$out/piuparts.log" \
	"$out/noleak_${next}_$arch.deb" "$out/libnoleak_${next}_$arch.deb" >/dev/null 2>&1
st=$?
ok $st "piuparts: install, upgrade from $version, remove, purge; the file system as before ($(( $(date +%s) - t )) s)" ||
	grep -E '^[0-9:.s]+ (ERROR|FAIL)' "$out/piuparts.log" | head -n 40 | sed 's/^/# /'
grep -q 'upgrade from '"$version"'\|noleak (= '"$version"')\|Unpacking noleak ('"$next"') over ('"$version"')' "$out/piuparts.log"
ok $? "piuparts upgraded the first build to the second"
grep -q 'noleak-piuparts: enable-unit ok' "$out/piuparts.log" &&
	! grep -q 'noleak-piuparts: FAIL' "$out/piuparts.log"
ok $? "in the chroot: ld.so.preload untouched; enable-unit protected a unit; purge removed its drop-in" ||
	grep 'noleak-piuparts' "$out/piuparts.log" | sed 's/^/# /'

echo "1..$n"
echo "# DEB PASS: $pass"
echo "# DEB FAIL: $fail"
echo "deb-test: $pass passed, $fail failed in $(( $(date +%s) - start )) s"
[ "$fail" -eq 0 ]
