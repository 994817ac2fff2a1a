#!/usr/bin/env bash
# fcgi triage throughput on TestDumps, side by side in one run (issue 5's goals: -j 2 at least 1.7x the dumps/s of
# -j 1; per-dump cost at most 0.7x a fresh bare engine session `.ecxr; kn; lml`).
#   bench/batch.sh [rounds] [copies]   (default 3 rounds, 4 copies; each round: -j 1, -j 2, one bare session per dump)
# The set is every TestDumps minidump, `copies` times over (symlinks), so the fixed start-up of the command and of
# each engine process is spread over a batch of realistic size rather than eleven dumps.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${1:-3}
copies=${2:-4}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# The minidumps only (full.dmp files that tests built stay out), each with its scenario's PDBs and images, and the
# TestDumps site catalog: a folder shaped like TestDumps.
make_set() {   # make_set <folder> <copies>
  mkdir -p "$1"; ln -s "$root/TestDumps/rules" "$1/rules"
  for c in $(seq "$2"); do
    for s in "$root"/TestDumps/scenarios/*/; do
      local name; name=$(basename "$s")-$c; mkdir -p "$1/$name"
      for f in "$s"minidump.dmp "$s"*.pdb "$s"*.dll "$s"*.exe "$s"*.so; do if [ -e "$f" ]; then ln -s "$f" "$1/$name/"; fi; done
    done
  done
}
make_set "$tmp/one" 1
make_set "$tmp/set" "$copies"
mapfile -t dumps < <(find "$tmp/set" -name minidump.dmp | sort)
n=${#dumps[@]}
n1=$(find "$tmp/one" -name minidump.dmp | wc -l)
"$root/fcgi" engine "${dumps[0]}" --sympath "$(dirname "${dumps[0]}")" -c "version" >/dev/null   # host, prefix, warm Wine
export WINEPREFIX="${FCGIEXT_CACHE:-$root/.cache}/wineprefix" WINEARCH=win64 WINEDEBUG=-all
export WINEDLLOVERRIDES="dbgeng,dbghelp,dbgcore,dbgmodel,msdia140=n"
winpath() { printf 'Z:%s' "${1//\//\\}"; }
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
batch() { local t0; t0=$(now); rm -f "$tmp/r.jsonl"; "$root/fcgi" triage "$tmp/${2:-set}" --offline -j "$1" --results "$tmp/r.jsonl" >"$tmp/out" 2>&1 || true; echo "$(now) - $t0" | bc; }
bare_all() {
  local t0; t0=$(now)
  for d in "${dumps[@]}"; do
    wine "$root/artifacts/win-x64/host/fcgihost.exe" engine "$(winpath "$d")" --sympath "$(winpath "$(dirname "$d")")" -c ".ecxr; kn; lml" >"$tmp/bare" 2>&1 || true
  done
  echo "$(now) - $t0" | bc
}
batch 1 >/dev/null   # warm-up
j1=(); j2=(); s1=(); s2=(); bare=()
for _ in $(seq "$rounds"); do
  s1+=("$(batch 1 one)"); s2+=("$(batch 2 one)"); j1+=("$(batch 1)"); j2+=("$(batch 2)"); bare+=("$(bare_all)")
done
grep -q "$n dump(s): $n triaged" "$tmp/out" || { echo "the batch did not triage every dump:"; cat "$tmp/out"; exit 1; }
t1=$(printf '%s\n' "${j1[@]}" | median); t2=$(printf '%s\n' "${j2[@]}" | median); tb=$(printf '%s\n' "${bare[@]}" | median)
u1=$(printf '%s\n' "${s1[@]}" | median); u2=$(printf '%s\n' "${s2[@]}" | median)
# Per-dump cost at steady state: the difference between the big and the small batch over the extra dumps
# (the command's and the engine processes' start-up cancel out).
d1=$(echo "($t1 - $u1) / ($n - $n1)" | bc -l); d2=$(echo "($t2 - $u2) / ($n - $n1)" | bc -l)
printf '%d dumps, %d rounds, medians (whole command, including fcgi start-up and the report)\n' "$n" "$rounds"
printf 'fcgi triage -j 1      %.2f s  %.2f dumps/s  (%s)\n' "$t1" "$(echo "$n / $t1" | bc -l)" "$(printf '%.2f ' "${j1[@]}")"
printf 'fcgi triage -j 2      %.2f s  %.2f dumps/s  (%s)\n' "$t2" "$(echo "$n / $t2" | bc -l)" "$(printf '%.2f ' "${j2[@]}")"
printf 'bare sessions         %.2f s  %.3f s per dump  (%s)\n' "$tb" "$(echo "$tb / $n" | bc -l)" "$(printf '%.2f ' "${bare[@]}")"
printf 'small batch (%d dumps): -j 1 %.2f s, -j 2 %.2f s\n' "$n1" "$u1" "$u2"
printf 'steady state: %.3f s per dump with -j 1, %.3f s with -j 2; start-up about %.2f s\n' "$d1" "$d2" "$(echo "$u1 - $n1 * $d1" | bc -l)"
printf 'throughput -j2 / -j1, whole command   %.2fx\n' "$(echo "$t1 / $t2" | bc -l)"
printf 'throughput -j2 / -j1, steady state    %.2fx  (goal >= 1.7)\n' "$(echo "$d1 / $d2" | bc -l)"
printf 'per-dump cost -j1 / fresh bare session  %.2f  (goal <= 0.7)\n' "$(echo "$d1 / ($tb / $n)" | bc -l)"
