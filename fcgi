#!/usr/bin/env bash
# Launcher for the `fcgi` command: builds Cli/ on first use and whenever a source file changed,
# then runs it. Works on a fresh clone (the .NET SDK must be on PATH).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="$root/.cache/cli"
stamp="$out/.built"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export FCGI_REPO_ROOT="$root"
if ! command -v dotnet >/dev/null 2>&1; then
  echo "fcgi: the .NET 10 SDK (dotnet) is not on PATH" >&2; exit 2
fi
needs_build() {
  [ -f "$stamp" ] || return 0
  [ -n "$(find "$root/Cli" "$root/RulesEngine" "$root/FastCgi" "$root/FcgiExt" "$root/Directory.Build.props" \
          \( -name bin -o -name obj \) -prune -o -type f -newer "$stamp" -print -quit 2>/dev/null)" ]
}
# Engine sessions (fcgi engine, fcgi triage <dumps>, fcgi capture) run Microsoft's dbgeng.dll under Wine: install it when missing
# (ensure-tools says what it installs, as fcgi).
if [ "$(uname -s)" = Linux ] && ! command -v wine >/dev/null 2>&1; then
  case " $* " in
    *" --stack-text "*|*" --help "*|*" -h "*) ;;
    " engine "*|" triage "*|" capture "*) FCGI_TOOLS_SAY_AS=fcgi "$root/scripts/ensure-tools.sh" --engine || exit 2 ;;
  esac
fi
if needs_build; then
  # Said on stderr, so a report on stdout or in a pipe stays clean.
  if [ -f "$stamp" ]; then echo "fcgi: rebuilding the fcgi command (sources changed)" >&2
  else echo "fcgi: building the fcgi command (first run, about a minute)" >&2; fi
  mkdir -p "$out"
  if ! dotnet build "$root/Cli/Cli.csproj" -c Release -o "$out" -nologo -v:q -clp:ErrorsOnly >"$out/build.log" 2>&1; then
    cat "$out/build.log" >&2; echo "fcgi: build failed" >&2; exit 2
  fi
  touch "$stamp"
fi
exec dotnet "$out/fcgi.dll" "$@"
