#!/usr/bin/env bash
# !fcgi vs the bare WinDbg ritual, side by side in one run, on the same minidump (issue 4's goal: !fcgi at most 1.3x).
#   bench/engine.sh [dump] [symbol dir] [runs]    (default: TestDumps/scenarios/xdebug-null-write, 7 runs, interleaved)
# Each run is a fresh engine session through fcgihost (warm wineserver): "bare" runs `.reload; .ecxr; kn; lml`,
# "fcgi" runs `.load fcgiext.dll; !fcgi -offline`. Reports medians and their ratio.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
scenario="$root/TestDumps/scenarios/xdebug-null-write"
dump=$(realpath "${1:-$scenario/minidump.dmp}")
syms=$(realpath "${2:-$(dirname "$dump")}")
runs=${3:-7}
"$root/fcgi" engine "$dump" --sympath "$syms" -c "version" >/dev/null   # builds the host, makes the prefix, warms Wine
[ -f "$root/artifacts/win-x64/fcgiext.dll" ] || "$root/scripts/build-extension.sh" win-x64 >/dev/null
export WINEPREFIX="${FCGIEXT_CACHE:-$root/.cache}/wineprefix" WINEARCH=win64 WINEDEBUG=-all
export WINEDLLOVERRIDES="dbgeng,dbghelp,dbgcore,dbgmodel,msdia140=n"
wineserver -p60 >/dev/null 2>&1 || true
winpath() { printf 'Z:%s' "${1//\//\\}"; }
host="$root/artifacts/win-x64/host/fcgihost.exe"
dll=$(winpath "$root/artifacts/win-x64/fcgiext.dll")
out=$(mktemp); trap 'rm -f "$out"' EXIT
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
session() { local t0; t0=$(now); wine "$host" engine "$(winpath "$dump")" --sympath "$(winpath "$syms")" -c "$1" >"$out" 2>&1 || true; echo "$(now) - $t0" | bc; }
session ".reload; .ecxr; kn; lml" >/dev/null; session ".load $dll; !fcgi -offline" >/dev/null   # warm both paths once
bare=(); fcgi=()
for _ in $(seq "$runs"); do
  bare+=("$(session ".reload; .ecxr; kn; lml")")
  fcgi+=("$(session ".load $dll; !fcgi -offline")")
done
grep -q "Verdict" "$out" || { echo "!fcgi printed no verdict:"; cat "$out"; exit 1; }
b=$(printf '%s\n' "${bare[@]}" | median); f=$(printf '%s\n' "${fcgi[@]}" | median)
printf 'dump: %s\n' "$dump"
printf 'bare .reload; .ecxr; kn; lml   median %.3f s  (%s)\n' "$b" "$(printf '%.2f ' "${bare[@]}")"
printf '!fcgi -offline                 median %.3f s  (%s)\n' "$f" "$(printf '%.2f ' "${fcgi[@]}")"
printf 'ratio !fcgi / bare             %.2f  (goal <= 1.3)\n' "$(echo "$f / $b" | bc -l)"
