#!/usr/bin/env bash
# The fuzz suite at any size (issue 15): bench/fuzz.sh [N] [seed] [kinds]
#   N cases of each kind (default 1000), a fixed seed (default 20261203) so every failure replays, kinds any of
#   texts,catalogs,iis,fastcgi,dumps (default all; dumps run through the real engine under Wine, like fcgi triage).
# Prints the table: cases, triaged, one-line errors, hangs, crashes, lost; exit 1 when anything hung, crashed or was
# lost. FCGIEXT_FUZZ_SAVE=<dir> keeps the input of each failing case.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 FCGI_REPO_ROOT="$root"
dotnet build "$root/tests/Fuzz/FcgiExt.Fuzz.csproj" -c Release -nologo -v:q >/dev/null
exec dotnet run --project "$root/tests/Fuzz/FcgiExt.Fuzz.csproj" -c Release --no-build -- "${1:-1000}" "${2:-20261203}" "${3:-texts,catalogs,iis,fastcgi,dumps}"
