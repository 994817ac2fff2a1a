#!/usr/bin/env bash
# Makes the link inputs for CrossWinAot.targets (TEST-GRADE cross link, see README.md).
#   usage: build/crosswin/prepare.sh <out dir>
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: prepare.sh <out dir>}
mkdir -p "$out"; out=$(cd "$out" && pwd)
stamp="$out/.prepared"
if [ -f "$stamp" ] && [ "$stamp" -nt "$here/test_crt_shim.c" ] && [ "$stamp" -nt "$here/prepare.sh" ]; then exit 0; fi
mingw_lib=$(dirname "$(x86_64-w64-mingw32-gcc -print-file-name=libkernel32.a)")
for lib in advapi32 bcrypt crypt32 iphlpapi kernel32 mswsock ncrypt normaliz ntdll ole32 oleaut32 \
           secur32 user32 version ws2_32 ucrt uuid; do
  ln -sf "$mingw_lib/lib$lib.a" "$out/$lib.lib"
done
clang --target=x86_64-pc-windows-msvc -O2 -c "$here/test_crt_shim.c" -o "$out/test_crt_shim.obj"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
x86_64-w64-mingw32-nm "$mingw_lib/libucrt.a" 2>/dev/null > "$work/nm.txt" || true
# Functions present only as import pointers (__imp_X) and never as plain code symbols (X).
comm -23 <(sed -n 's/.* I __imp_\([A-Za-z0-9_]*\)$/\1/p' "$work/nm.txt" | sort -u) \
         <(sed -n 's/.* T \([A-Za-z0-9_]*\)$/\1/p' "$work/nm.txt" | sort -u) > "$work/names"
while read -r name; do
  printf '\t.text\n\t.globl %s\n%s:\n\tjmpq *__imp_%s(%%rip)\n' "$name" "$name" "$name" > "$work/$name.s"
  clang --target=x86_64-pc-windows-msvc -c "$work/$name.s" -o "$work/$name.obj"
done < "$work/names"
rm -f "$out/ucrt_forwarders.lib"
llvm-ar rcs "$out/ucrt_forwarders.lib" "$work"/*.obj
touch "$stamp"
