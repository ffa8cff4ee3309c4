#!/usr/bin/env bash
# man-pages.sh: every manual page in man/ renders cleanly and reads at 80
# columns. One TAP line per page; new pages (man/*.[1-9]) are picked up by
# the glob. Pass page paths as arguments to check other files.
#
# A page passes when
#   - groff -man -ww (every warning) prints nothing, run with the
#     preprocessors its first line asks for ('\" t means tbl), as man(1) does;
#   - man --warnings=w -l prints nothing (when man-db is installed): the page
#     as man(1) shows it, through preconv and its preprocessors. "w" is every
#     warning; "all" would leave out undefined macros, strings and registers;
#   - its .TH names the section its file name ends in, and it has NAME and
#     DESCRIPTION sections;
#   - lexgrog reads its NAME line, which is what whatis(1) and apropos(1)
#     index (when man-db is installed);
#   - rendered 80 columns wide, no line is wider than 80.
# The only skip (TAP "# SKIP") is for a machine without groff.
set -u
cd "$(dirname "$0")/../.." || exit 1
# Warnings and widths depend on the locale; C.UTF-8 is always there on Debian.
export LC_ALL=C.UTF-8
export MANPAGER=cat PAGER=cat MANWIDTH=80
unset MANOPT GROFF_TMAC_PATH

if [ $# -gt 0 ]; then
	pages=("$@")
else
	shopt -s nullglob
	pages=(man/*.[1-9])
	shopt -u nullglob
fi

if [ ${#pages[@]} -eq 0 ]; then
	echo "1..1"
	echo "not ok 1 - man/ holds no manual pages (man/*.[1-9]); the README and make install expect them"
	exit 1
fi

echo "1..${#pages[@]}"

if ! command -v groff >/dev/null 2>&1; then
	n=0
	for page in "${pages[@]}"; do
		n=$((n + 1))
		echo "ok $n - $page # SKIP groff is not installed (apt-get install groff-base)"
	done
	exit 0
fi
have_man=0
command -v man >/dev/null 2>&1 && have_man=1
have_lexgrog=0
command -v lexgrog >/dev/null 2>&1 && have_lexgrog=1

# The preprocessor options a page's first line asks for: '\" t → -t, and so on.
preprocessors() {	# page
	local first opts="" c
	IFS= read -r first <"$1" || true
	case "$first" in
	"'\\\" "*) ;;
	*) return 0 ;;
	esac
	first=${first#"'\\\" "}
	for ((i = 0; i < ${#first}; i++)); do
		c=${first:i:1}
		case "$c" in
		e) opts+=" -e" ;;
		g) opts+=" -g" ;;
		p) opts+=" -p" ;;
		r) opts+=" -R" ;;
		t) opts+=" -t" ;;
		esac
	done
	echo "$opts"
}

# Prints "# ..." diagnostics for one page and returns non-zero if it fails.
check_page() {	# page
	local page=$1 bad=0 out pre th_sec want_sec rendered width
	if [ ! -r "$page" ]; then
		echo "# $page: cannot be read"
		return 1
	fi
	pre=$(preprocessors "$page")

	# shellcheck disable=SC2086 # $pre is a list of options
	out=$(groff $pre -man -ww -z -Tutf8 "$page" 2>&1)
	if [ -n "$out" ]; then
		echo "# groff -ww warns:"
		printf '%s\n' "$out" | head -20 | sed 's/^/#   /'
		bad=1
	fi

	if [ "$have_man" = 1 ]; then
		out=$(man --warnings=w -l "$page" 2>&1 >/dev/null)
		if [ -n "$out" ]; then
			echo "# man --warnings=w -l warns:"
			printf '%s\n' "$out" | head -20 | sed 's/^/#   /'
			bad=1
		fi
	fi

	th_sec=$(sed -n 's/^\.TH[[:space:]]\{1,\}\("[^"]*"\|[^[:space:]]\{1,\}\)[[:space:]]\{1,\}"\{0,1\}\([^"[:space:]]\{1,\}\).*/\2/p' "$page" | head -1)
	want_sec=${page##*.}
	if [ -z "$th_sec" ]; then
		echo "# no .TH line (.TH TITLE SECTION DATE SOURCE MANUAL)"
		bad=1
	elif [ "$th_sec" != "$want_sec" ]; then
		echo "# .TH says section $th_sec but the file name says $want_sec"
		bad=1
	fi
	for sec in NAME DESCRIPTION; do
		if ! grep -Eq "^\.SH[[:space:]]+\"?$sec\"?[[:space:]]*$" "$page"; then
			echo "# no .SH $sec section"
			bad=1
		fi
	done

	if [ "$have_lexgrog" = 1 ] && ! out=$(lexgrog "$page" 2>&1); then
		echo "# lexgrog cannot read the NAME section (write it as: name \\- what it is):"
		printf '%s\n' "$out" | head -5 | sed 's/^/#   /'
		bad=1
	fi

	# shellcheck disable=SC2086
	rendered=$(groff $pre -man -Tutf8 -rLL=80n -rLT=80n "$page" 2>/dev/null | col -bx)
	width=$(printf '%s\n' "$rendered" | wc -L)
	if [ "$width" -gt 80 ]; then
		echo "# rendered 80 columns wide, some lines are $width wide:"
		local line k=0
		while IFS= read -r line; do
			if [ ${#line} -gt 80 ] && [ $k -lt 10 ]; then
				echo "#   ${line}"
				k=$((k + 1))
			fi
		done <<<"$rendered"
		bad=1
	fi
	return $bad
}

n=0
failed=0
for page in "${pages[@]}"; do
	n=$((n + 1))
	if diag=$(check_page "$page"); then
		echo "ok $n - $page renders without warnings, has NAME and DESCRIPTION, fits 80 columns"
	else
		echo "not ok $n - $page"
		printf '%s\n' "$diag"
		failed=$((failed + 1))
	fi
done
[ $failed -eq 0 ]
