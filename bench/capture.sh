#!/usr/bin/env bash
# Live capture figures (issue 12): for each scenario, 5 runs of `fcgi capture --format json` on the worker laid out by
# TestDumps/live-layout.sh; prints the median wall time of the whole capture, and the host's own figures per stop:
# crash to verdict (verdictSeconds: the !fcgi procedure at the stop) and the full dump's write time (dumpSeconds).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/fcgi" --help >/dev/null   # builds the CLI first, outside the timings
printf '%-24s %10s %10s %10s %8s\n' scenario wall_s verdict_s dump_s dump_MB
for scenario in xdebug-null-write xdebug-stack-overflow mbstring-stack-cookie php-max-requests-exit; do
  { read -r envs; read -r cmd; } < <("$root/TestDumps/live-layout.sh" "$scenario" "$work/$scenario")
  args=()
  for a in $cmd; do case "$a" in Z:*) p=${a#Z:}; args+=("${p//\\//}") ;; *) args+=("$a") ;; esac; done
  walls=() verdicts=() dumps=() size=0
  for run in 1 2 3 4 5; do
    out=$work/out-$scenario-$run
    start=$(date +%s.%N)
    line=$(env $( [ "$envs" = - ] || echo "$envs" ) "$root/fcgi" capture --format json --out "$out" \
      --rules "$root/TestDumps/rules/testdumps.yaml" --timeout 120 -- "${args[@]}" 2>/dev/null | grep -E '"event":"(crash|exit)"' | head -1) || true
    end=$(date +%s.%N)
    walls+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')")
    verdicts+=("$(sed -E 's/.*"verdictSeconds":([0-9.]+).*/\1/' <<< "$line")")
    dumps+=("$(sed -E 's/.*"dumpSeconds":([0-9.]+).*/\1/' <<< "$line")")
    size=$(du -m "$out"/*.dmp 2>/dev/null | awk '{print $1}' | head -1)
  done
  median() { printf '%s\n' "$@" | sort -n | sed -n 3p; }
  printf '%-24s %10.2f %10.3f %10.3f %8s\n' "$scenario" "$(median "${walls[@]}")" "$(median "${verdicts[@]}")" \
    "$(median "${dumps[@]}")" "${size:-?}"
done
