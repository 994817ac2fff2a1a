#!/usr/bin/env bash
# Builds the engine host fcgihost.exe (win-x64) into artifacts/win-x64/host/, with the engine DLLs from NuGet beside it.
#   scripts/build-host.sh            NativeAOT; on Linux a TEST-GRADE cross link (FcgiExt/Host/crosswin/README.md)
#   FCGIEXT_HOST_JIT=1 scripts/build-host.sh    self-contained JIT build instead (slower start, no clang/lld needed)
# Writes artifacts/win-x64/host/.built when done (Cli/Engine/WineRunner.cs rebuilds when a source is newer).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
out="$root/artifacts/win-x64/host"
cache="${FCGIEXT_CACHE:-$root/.cache}"
mkdir -p "$out" "$cache/logs"
log="$cache/logs/host-build.log"
props=(-p:PublishAot=true)
if [ "${FCGIEXT_HOST_JIT:-}" = 1 ]; then
  props=(-p:PublishAot=false)
elif [ "$(uname -s)" = Linux ]; then
  # The cross link needs mingw-w64, clang, lld and llvm; not Chromium (that is for a test).
  "$root/scripts/ensure-tools.sh" --engine
  libs="$cache/crosswin"
  "$root/build/crosswin/prepare.sh" "$libs"
  ln -sf "$(dirname "$(x86_64-w64-mingw32-gcc -print-file-name=libkernel32.a)")/libshell32.a" "$libs/shell32.lib"
  clang --target=x86_64-pc-windows-msvc -O2 -c "$root/FcgiExt/Host/crosswin/exe_entry.c" -o "$libs/host_exe_entry.obj"
  props+=(-p:CrossWinLibs="$libs")
  export FCGIEXT_TEST_BUILD=1   # the test-grade CRT shim is allowed in this build only (build/crosswin/CrossWinAot.targets)
fi
rm -f "$out/.built"
kind=$([ "${FCGIEXT_HOST_JIT:-}" = 1 ] && echo "self-contained JIT" || echo NativeAOT)
echo "build-host: building the engine host $out/fcgihost.exe (win-x64, $kind; a few minutes)" >&2
if ! dotnet publish "$root/FcgiExt/Host/FcgiExt.Host.csproj" -r win-x64 -c Release -o "$out" -nologo -v:q \
      -clp:ErrorsOnly "${props[@]}" >"$log" 2>&1; then
  cat "$log" >&2; echo "build-host: publish failed (log: $log)" >&2; exit 1
fi
[ "${FCGIEXT_HOST_JIT:-}" != 1 ] && [ "$(uname -s)" = Linux ] && echo "TEST-GRADE cross-linked build (FcgiExt/Host/crosswin): not for release" > "$out/TEST-GRADE-BUILD.txt"
date -u +%FT%TZ > "$out/.built"
echo "$out/fcgihost.exe"
