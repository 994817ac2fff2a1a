#!/usr/bin/env bash
# Installs the Debian packages the integration tests and the engine need, when missing:
#   wine64 (runs Microsoft's dbgeng.dll), mingw-w64 + clang + lld + llvm (build the Windows test
#   programs and cross-link the NativeAOT extension), chromium (renders the HTML report in a test).
#   Retries: mirrors can be mid-sync.   Usage: scripts/ensure-tools.sh [--engine]
set -uo pipefail
need=()
command -v wine >/dev/null 2>&1 || need+=(wine64)
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || need+=(mingw-w64)
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v lld-link >/dev/null 2>&1 || need+=(lld)
command -v llvm-ar >/dev/null 2>&1 || need+=(llvm)
# The HTML report test renders in a real headless Chromium; the engine alone (--engine) does not need it.
[ "${1:-}" = --engine ] || [ -x /usr/bin/chromium ] || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "ensure-tools: missing ${need[*]}; run as root or install them: apt-get install ${need[*]}" >&2; exit 1
fi
echo "ensure-tools: installing ${need[*]} with apt-get (needed for the real debugger engine under Wine)" >&2
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3 4 5; do
  if apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${need[@]}" >/dev/null 2>&1; then
    exit 0
  fi
  echo "ensure-tools: apt-get failed (attempt $attempt), retrying in $((attempt * 10)) s" >&2
  sleep $((attempt * 10))
done
echo "ensure-tools: could not install ${need[*]}" >&2
exit 1
