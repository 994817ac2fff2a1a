#!/usr/bin/env bash
# Lays out the FastCGI php-cgi.exe stand-in (TestDumps/live/fcgi, built by make.sh --live) as php-cgi is installed under IIS,
# for `fcgi repro` with a Windows worker:
#   TestDumps/repro-layout.sh <folder>
# writes <folder>/php (php-cgi.exe, php8ts.dll, winheap_standin.dll and their PDBs), <folder>/php/ext (Xdebug 3.3.1, from the
# xdebug-null-write scenario), <folder>/php/php.ini (loads Xdebug) and <folder>/www (ok.php, crash.php, exit.php), and prints
# the worker's path.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: repro-layout.sh <folder>}
mkdir -p "$out/php/ext" "$out/www"
out=$(cd "$out" && pwd)
eval "$(grep -E '^XDEBUG=' "$here/make.sh")"
scenario=$here/scenarios/xdebug-null-write
cp "$here/live/fcgi/php-cgi.exe" "$here/live/fcgi/php-cgi.pdb" "$out/php/"
cp "$scenario"/php8ts.{dll,pdb} "$scenario"/winheap_standin.{dll,pdb} "$out/php/"
cp "$scenario/$XDEBUG" "$scenario/${XDEBUG%.dll}.pdb" "$out/php/ext/"
cp "$here"/live/fcgi/www/*.php "$out/www/"
printf '[PHP]\n; as PHP Manager for IIS writes it\nextension_dir = "ext"\nextension = %s\n' "$XDEBUG" > "$out/php/php.ini"
echo "$out/php/php-cgi.exe"
