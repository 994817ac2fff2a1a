#!/usr/bin/env bash
# Times one engine session (`fcgihost engine <dump> -c ".ecxr; kn; lml"`) under Wine, cold (wineserver stopped first)
# and warm (wineserver kept with -p60), and the bare start-up of the host (usage message), for each host build given.
#   scripts/bench-engine-session.sh <dump> <symbol dir> [runs] [host.exe ...]
#   default host: artifacts/win-x64/host/fcgihost.exe (build it with scripts/build-host.sh; FCGIEXT_HOST_JIT=1 for JIT)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dump=$(realpath "${1:?usage: bench-engine-session.sh <dump> <symbol dir> [runs] [host.exe ...]}")
syms=$(realpath "${2:?symbol dir}")
runs=${3:-5}
shift 3 2>/dev/null || shift $#
hosts=("$@"); [ ${#hosts[@]} -eq 0 ] && hosts=("$root/artifacts/win-x64/host/fcgihost.exe")
export WINEPREFIX="${FCGIEXT_CACHE:-$root/.cache}/wineprefix" WINEARCH=win64 WINEDEBUG=-all
export WINEDLLOVERRIDES="dbgeng,dbghelp,dbgcore,dbgmodel,msdia140=n"
[ -f "$WINEPREFIX/system.reg" ] || { echo "no Wine prefix at $WINEPREFIX: run ./fcgi engine once" >&2; exit 1; }
winpath() { printf 'Z:%s' "${1//\//\\}"; }
out=$(mktemp); trap 'rm -f "$out"' EXIT
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
time_run() { local t0; t0=$(now); wine "$@" >"$out" 2>&1 || true; echo "$(now) - $t0" | bc; }
for host in "${hosts[@]}"; do
  session=("$host" engine "$(winpath "$dump")" --sympath "$(winpath "$syms")" -c '.ecxr; kn; lml')
  cold=(); warm=(); start=()
  for _ in $(seq "$runs"); do
    wineserver -k 2>/dev/null || true; wineserver -w 2>/dev/null || true
    cold+=("$(time_run "${session[@]}")")
  done
  wineserver -p60 >/dev/null 2>&1 || true
  time_run "${session[@]}" >/dev/null   # the first warm run starts Wine's services
  for _ in $(seq "$runs"); do warm+=("$(time_run "${session[@]}")"); start+=("$(time_run "$host")"); done
  grep -q ' # Child-SP' "$out" 2>/dev/null || wine "${session[@]}" >"$out" 2>&1 || true
  printf '%s\n  cold session  median %.2f s  (%s)\n  warm session  median %.2f s  (%s)\n  start-up only median %.2f s  (%s)\n' "$host" \
    "$(printf '%s\n' "${cold[@]}" | median)" "$(printf '%.2f ' "${cold[@]}")" \
    "$(printf '%s\n' "${warm[@]}" | median)" "$(printf '%.2f ' "${warm[@]}")" \
    "$(printf '%s\n' "${start[@]}" | median)" "$(printf '%.2f ' "${start[@]}")"
done
