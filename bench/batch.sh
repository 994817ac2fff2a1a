#!/usr/bin/env bash
# fcgi triage throughput on TestDumps, side by side in one run (issue 5's goals: -j 2 at least 1.7x the dumps/s of
# -j 1; per-dump cost at most 0.7x a fresh bare engine session `.ecxr; kn; lml`).
#   bench/batch.sh [rounds]     (default 3 rounds; each round: -j 1, -j 2, and one bare session per dump)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${1:-3}
mapfile -t dumps < <(find "$root/TestDumps/scenarios" -name minidump.dmp | sort)
n=${#dumps[@]}
"$root/fcgi" engine "${dumps[0]}" --sympath "$(dirname "${dumps[0]}")" -c "version" >/dev/null   # host, prefix, warm Wine
export WINEPREFIX="${FCGIEXT_CACHE:-$root/.cache}/wineprefix" WINEARCH=win64 WINEDEBUG=-all
export WINEDLLOVERRIDES="dbgeng,dbghelp,dbgcore,dbgmodel,msdia140=n"
winpath() { printf 'Z:%s' "${1//\//\\}"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
batch() { local t0; t0=$(now); rm -f "$tmp/r.jsonl"; "$root/fcgi" triage "$root/TestDumps" --offline -j "$1" --results "$tmp/r.jsonl" >"$tmp/out" 2>&1 || true; echo "$(now) - $t0" | bc; }
bare_all() {
  local t0; t0=$(now)
  for d in "${dumps[@]}"; do
    wine "$root/artifacts/win-x64/host/fcgihost.exe" engine "$(winpath "$d")" --sympath "$(winpath "$(dirname "$d")")" -c ".ecxr; kn; lml" >"$tmp/bare" 2>&1 || true
  done
  echo "$(now) - $t0" | bc
}
batch 1 >/dev/null   # warm-up
j1=(); j2=(); bare=()
for _ in $(seq "$rounds"); do j1+=("$(batch 1)"); j2+=("$(batch 2)"); bare+=("$(bare_all)"); done
grep -q "$n dump(s): $n triaged" "$tmp/out" || { echo "the batch did not triage every dump:"; cat "$tmp/out"; exit 1; }
t1=$(printf '%s\n' "${j1[@]}" | median); t2=$(printf '%s\n' "${j2[@]}" | median); tb=$(printf '%s\n' "${bare[@]}" | median)
printf '%d dumps, %d rounds, medians (whole command, including fcgi start-up and the report)\n' "$n" "$rounds"
printf 'fcgi triage -j 1      %.2f s  %.2f dumps/s  (%s)\n' "$t1" "$(echo "$n / $t1" | bc -l)" "$(printf '%.2f ' "${j1[@]}")"
printf 'fcgi triage -j 2      %.2f s  %.2f dumps/s  (%s)\n' "$t2" "$(echo "$n / $t2" | bc -l)" "$(printf '%.2f ' "${j2[@]}")"
printf 'bare sessions         %.2f s  %.3f s per dump  (%s)\n' "$tb" "$(echo "$tb / $n" | bc -l)" "$(printf '%.2f ' "${bare[@]}")"
printf 'throughput -j2 / -j1  %.2fx  (goal >= 1.7)\n' "$(echo "$t1 / $t2" | bc -l)"
printf 'per-dump cost -j1 / bare session  %.2f  (goal <= 0.7)\n' "$(echo "($t1 / $n) / ($tb / $n)" | bc -l)"
