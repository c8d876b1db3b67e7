#!/bin/sh
# Copies the unit directories of the distribution's packages into the corpus
# tests/units-compat/debian12/ (system/ from /lib/systemd/system, user/ from
# /usr/lib/systemd/user: every unit file, alias and mask symlink, .d drop-in
# and .wants/ link, as the packages ship them) and writes PACKAGES.md, which
# names the package (`dpkg -S`) and version of every file. tests/unit_compat.rs
# verifies each service, timer and target of the corpus with sundial and
# systemd-analyze. Run on a Debian 12 machine from the repository root; the
# corpus is replaced.
set -eu
cd "$(dirname "$0")/.."

corpus=tests/units-compat/debian12
rm -rf "$corpus/system" "$corpus/user"
mkdir -p "$corpus"
cp -a /lib/systemd/system "$corpus/system"
cp -a /usr/lib/systemd/user "$corpus/user"
# The hardware-clock unit is left out: Debian ships it as one of six mask
# links to /dev/null, and the other five already give verify its masked case.
rm -f "$corpus/system/hwclock.service"

# `dpkg -S` reads its argument as a pattern (a backslash escapes), so the
# package lists are searched for the exact path instead.
package_of() {
	for p in "$@"; do
		pkg=$(grep -lxF "$p" /var/lib/dpkg/info/*.list 2>/dev/null | head -n 1)
		if [ -n "$pkg" ]; then
			pkg=$(basename "$pkg" .list)
			echo "${pkg%%:*}"
			return
		fi
	done
	echo "(no package)"
}

rows=$(mktemp -d)
trap 'rm -rf "$rows"' EXIT
for scope in system user; do
	case $scope in
	system) roots="/lib/systemd/system /usr/lib/systemd/system" ;;
	user) roots="/usr/lib/systemd/user /lib/systemd/user" ;;
	esac
	(cd "$corpus/$scope" && find . -mindepth 1 ! -type d | sed 's|^\./||' | LC_ALL=C sort) |
		while IFS= read -r f; do
			candidates=""
			for r in $roots; do candidates="$candidates $r/$f"; done
			# shellcheck disable=SC2086
			pkg=$(package_of $candidates)
			version=$(dpkg-query -W -f '${Version}' "$pkg" 2>/dev/null || echo "-")
			printf '%s\t%s\t%s\n' "$f" "$pkg" "$version"
		done >"$rows/$scope"
done

{
	echo "# Where the corpus comes from"
	echo
	echo "Copied by \`scripts/units-corpus.sh\` from $(. /etc/os-release && echo "$PRETTY_NAME")"
	echo "(Debian $(cat /etc/debian_version)) with systemd $(dpkg-query -W -f '${Version}' systemd)."
	echo "\`system/\` is /lib/systemd/system, \`user/\` is /usr/lib/systemd/user, each"
	echo "file as its package ships it. \`tests/unit_compat.rs\` verifies every"
	echo "\`.service\`, \`.timer\` and \`.target\` directly in them (symlinks"
	echo "included); the other files are there because those units name them."
	echo "Nothing here is ever started: the tests only read the files (\`verify\`,"
	echo "\`verify --system --unit-dir\`), no daemon is pointed at this directory."
	echo "Masked as Debian ships them (symlinks to /dev/null, no command at all;"
	echo "\`verify\` reports them masked, as systemd-analyze does):"
	find "$corpus/system" "$corpus/user" -maxdepth 1 -lname /dev/null -printf '`%f`\n' |
		LC_ALL=C sort | paste -sd ' ' | sed 's/ /, /g; s/$/./'
	echo
	echo "Verified units by package:"
	echo
	echo "| package | system | user |"
	echo "|---|---|---|"
	for scope in system user; do
		grep -E '^[^/	]+\.(service|timer|target)	' "$rows/$scope" | cut -f2 | sed "s/\$/	$scope/"
	done | LC_ALL=C sort | uniq -c |
		awk '{ n[$2] += 0; if ($3 == "system") s[$2] = $1; else u[$2] = $1; n[$2] = 1 }
		     END { for (p in n) printf "| %s | %d | %d |\n", p, s[p], u[p] }' | LC_ALL=C sort
	echo
	echo "Package and version of each file, as \`dpkg -S\` and \`dpkg-query\` tell them:"
	for scope in system user; do
		echo
		echo "## $scope/"
		echo
		echo "| file | package | version |"
		echo "|---|---|---|"
		awk -F '\t' '{ printf "| `%s` | %s | %s |\n", $1, $2, $3 }' "$rows/$scope"
	done
} >"$corpus/PACKAGES.md"
echo "corpus written to $corpus"
