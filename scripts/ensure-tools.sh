#!/usr/bin/env bash
# Installs the Debian packages the integration tests and the engine need, when missing:
#   wine64 (runs Microsoft's dbgeng.dll), mingw-w64 + clang + lld + llvm (build the Windows test
#   programs and cross-link the NativeAOT extension), chromium (renders the HTML report in a test),
#   php-cgi (the real worker the fcgi repro tests drive).
#   Retries: mirrors can be mid-sync.   Usage: scripts/ensure-tools.sh [--engine]
#   FCGI_TOOLS_SAY_AS=fcgi: the name its messages start with (./fcgi calls it on first use).
set -uo pipefail
say() { echo "${FCGI_TOOLS_SAY_AS:-ensure-tools}: $*" >&2; }
need=()
command -v wine >/dev/null 2>&1 || need+=(wine64)
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || need+=(mingw-w64)
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v lld-link >/dev/null 2>&1 || need+=(lld)
command -v llvm-ar >/dev/null 2>&1 || need+=(llvm)
# The HTML report test renders in a real headless Chromium; the engine alone (--engine) does not need it.
[ "${1:-}" = --engine ] || [ -x /usr/bin/chromium ] || need+=(chromium)
# The fcgi repro tests drive Debian's own php-cgi; the engine alone does not need it.
[ "${1:-}" = --engine ] || command -v php-cgi >/dev/null 2>&1 || need+=(php-cgi)
[ ${#need[@]} -eq 0 ] && exit 0
# What the packages are for, in the words of the step that needs them.
case " ${need[*]} " in
  *" wine64 "*) what="Wine for the debugger engine" ;;
  " chromium ") what="Chromium for the HTML report test" ;;
  " php-cgi ") what="php-cgi for the fcgi repro tests" ;;
  " chromium php-cgi ") what="Chromium and php-cgi for the tests" ;;
  *) what="the build tools for the engine host" ;;
esac
if [ "$(id -u)" != 0 ]; then
  say "$what is missing; run as root, or install it: apt-get install ${need[*]}"; exit 1
fi
say "installing $what (apt-get install ${need[*]}; once, a few minutes)"
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3 4 5; do
  if apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${need[@]}" >/dev/null 2>&1; then
    exit 0
  fi
  say "apt-get failed (attempt $attempt), retrying in $((attempt * 10)) s"
  sleep $((attempt * 10))
done
say "could not install ${need[*]} (apt-get install ${need[*]} shows why)"
exit 1
