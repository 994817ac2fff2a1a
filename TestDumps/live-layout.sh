#!/usr/bin/env bash
# Lays out a PHP scenario's worker as it is installed on a server, for live debugging (fcgi capture):
#   TestDumps/live-layout.sh <scenario> <folder>
# writes <folder>/php (php-cgi.exe, php8ts.dll and the other core DLLs), <folder>/php/ext (the extensions),
# <folder>/<request script>, and prints two lines: the environment the scenario needs (NAME=VALUE …, or -) and the
# worker's Windows command line. The definitions are make.sh's SCENARIOS (the scenario's modules and arguments).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
name=${1:?usage: live-layout.sh <scenario> <folder>}
out=${2:?usage: live-layout.sh <scenario> <folder>}
line=$(grep -E "^\s*\"$name\|php\|" "$here/make.sh" | head -1 | sed -E 's/^\s*"//; s/"\s*$//') \
  || { echo "live-layout.sh: $name is not a PHP scenario of make.sh" >&2; exit 2; }
IFS='|' read -r _ _ _ _ args envs _ _ <<< "$line"
dir=$here/scenarios/$name
mkdir -p "$out/php/ext"
out=$(cd "$out" && pwd)
for file in "$dir"/*.exe "$dir"/*.dll "$dir"/*.pdb; do
  base=$(basename "$file")
  case "$base" in
    php_*|php-*.pdb) [[ "$base" == php_* ]] && cp "$file" "$out/php/ext/" || cp "$file" "$out/php/" ;;
    *) cp "$file" "$out/php/" ;;
  esac
done
# Extensions' PDBs beside their DLLs.
for pdb in "$out"/php/php_*.pdb; do [ -e "$pdb" ] && mv "$pdb" "$out/php/ext/"; done
script=${args##*@}
cp "$dir/$script" "$out/"
# The variables of make.sh that only drive the dump tool are left out: the debugger writes the dump.
env=$(printf '%s\n' $envs | { grep -v -E '^(TESTDUMP_ON_EXIT|-)' || true; } | tr '\n' ' ' | sed 's/ $//')
winout="Z:${out//\//\\}"
echo "${env:--}"
# Expand the scenario's $VARIABLES (the versioned Xdebug name and the like) from make.sh's definitions.
eval "$(grep -E '^(XDEBUG|SQLSRV|IONCUBE)=' "$here/make.sh")"
eval "echo \"$winout\\\\php\\\\php-cgi.exe ${args/@$script/$winout\\\\$script}\""
