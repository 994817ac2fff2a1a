#!/usr/bin/env bash
# Speed figures (reported as ratios from one run; never timed unit tests).
#   bench/run.sh rules      RulesEngine: 100-frame triage and catalog load
#   bench/run.sh engine     engine session vs !fcgi on a minidump (needs Wine; see bench/engine.sh)
#   bench/run.sh batch      fcgi triage throughput -j1 vs -j2 vs bare sessions (see bench/batch.sh)
#   bench/run.sh capture    fcgi capture: crash to verdict and dump write time per scenario (see bench/capture.sh)
#   bench/run.sh fuzz [N]   the fuzz suite, N cases of each kind (see bench/fuzz.sh)
#   bench/run.sh text [MB,MB,..] [timeout] [--baseline <old TextBench.dll>]  debugger-text readers: MB/s and peak memory
#                           per format and shape, before and after side by side with --baseline (bench/TextBench)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-rules}" in
  rules) dotnet run -c Release --project "$root/bench/RulesEngine.Bench" ;;
  engine) exec "$root/bench/engine.sh" ;;
  batch) exec "$root/bench/batch.sh" ;;
  capture) exec "$root/bench/capture.sh" ;;
  fuzz) shift; exec "$root/bench/fuzz.sh" "$@" ;;
  text) dotnet run -c Release --project "$root/bench/TextBench" -- "${@:2}" ;;
  *) echo "usage: bench/run.sh rules|engine|batch|capture|fuzz|text" >&2; exit 2 ;;
esac
