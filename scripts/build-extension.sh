#!/usr/bin/env bash
# Builds the !fcgi extension DLL.
#   scripts/build-extension.sh [win-x64|linux-x64]   (default win-x64)
# win-x64 on Linux: NativeAOT + TEST-GRADE cross link (build/crosswin) -> artifacts/win-x64/fcgiext.dll.
#   Such a DLL is for the Linux test suite only; release DLLs are built on Windows with
#   `dotnet publish FcgiExt/Extension -r win-x64 -c Release` (Microsoft linker and CRT).
# linux-x64: NativeAOT shared library -> artifacts/linux-x64/fcgiext.so (export-table test only).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rid=${1:-win-x64}
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
out="$root/artifacts/$rid"
props=()
if [ "$rid" = win-x64 ] && [ "$(uname -s)" != MINGW* ] && [ "$(uname -o 2>/dev/null)" != Msys ]; then
  "$root/scripts/ensure-tools.sh"
  libs="${FCGIEXT_CACHE:-$root/.cache}/crosswin"
  "$root/build/crosswin/prepare.sh" "$libs"
  props=(-p:CrossWinLibs="$libs")
  # This cross link uses the test-grade CRT shim: CrossWinAot.targets refuses it unless the build says it is a test build.
  export FCGIEXT_TEST_BUILD=1
fi
mkdir -p "$out"
log="$out/build-extension.log"
if ! dotnet publish "$root/FcgiExt/Extension/FcgiExt.Extension.csproj" -r "$rid" -c Release \
      -o "$out/publish" -nologo -v:q "${props[@]}" >"$log" 2>&1; then
  cat "$log" >&2; echo "build-extension: publish for $rid failed" >&2; exit 1
fi
case "$rid" in
  win-*) cp "$out/publish/fcgiext.dll" "$out/fcgiext.dll"
         [ "$(uname -s)" = Linux ] && echo "TEST-GRADE cross-linked build (build/crosswin): not for release" > "$out/TEST-GRADE-BUILD.txt" ;;
  linux-*) cp "$out/publish/fcgiext.so" "$out/fcgiext.so" ;;
esac
echo "$out/$( [ "${rid%%-*}" = win ] && echo fcgiext.dll || echo fcgiext.so)"
