#!/usr/bin/env bash
# make.sh - rebuilds the TestDumps scenarios from source: builds the Windows x64 crash programs with
# clang + lld (each module with its PDB), runs each scenario under Wine and writes its dump out of
# process with the DbgEng NuGet package's dbgcore.dll.
#
# usage: TestDumps/make.sh [--full] [--list] [--live] [scenario...]
#   no scenario   every scenario
#   --full        write only the full-memory dumps (full.dmp, not in git) of the scenarios that have one,
#                 leaving the committed minidumps alone (what tests call when they need a full dump)
#   --list        print the scenario names and stop
#   --live        build only the live-debugging helpers into TestDumps/live (w3wp.exe, php_wait_debugger.dll,
#                 fcgi/php-cgi.exe; see TestDumps/README.md) and stop: no scenario image, dump or build stamp is touched
# Environment: FCGIEXT_CACHE (default <repo>/.cache) holds the build, the Wine prefix and the package
# restore project; DBGENG_VERSION (default 20260109.1235.0).
# Needs wine, mingw-w64, clang, lld, llvm and a .NET SDK (scripts/ensure-tools.sh installs the first).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cache=${FCGIEXT_CACHE:-$repo/.cache}
build=$cache/testdumps
DBGENG_VERSION=${DBGENG_VERSION:-20260109.1235.0}
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

# ---------------------------------------------------------------------------------------------------
# Scenarios: name | host | extra modules loaded (images copied next to the host) | modules shipped
# without PDB | host arguments | environment | how the dump is taken | full dump on --full
#   dump: filter = the program's unhandled-exception filter starts dumper.exe (crashfilter.h)
#         debug  = dumper.exe runs the program as its debugger: a fail-fast reaches no filter, and a
#                  stack overflow is dumped at first chance (in-process handlers would overflow again)
#         exit   = dumponexit.dll writes the dump inside ExitProcess (no exception)
PHP_HOST="php-cgi.exe php8ts.dll winheap_standin.dll"
RUBY_HOST="ruby.exe x64-ucrt-ruby310.dll"
XDEBUG=php_xdebug-3.3.1-8.3-vs16-x86_64.dll
SQLSRV=php_pdo_sqlsrv_83_ts_x64.dll
IONCUBE=php_ioncube_loader_win_8.3.dll
SCENARIOS=(
  "xdebug-null-write|php|$XDEBUG php_curl.dll|-|-d extension=$XDEBUG -d extension=php_curl.dll -d xdebug.mode=trace @request.php|-|filter|full"
  "curl-use-after-free|php|php_curl.dll php_opcache.dll|-|-d extension=php_curl.dll -d extension=php_opcache.dll @request.php|-|filter|-"
  "sqlsrv-memcpy-overread|php|$SQLSRV msodbcsql18.dll|-|-d extension=$SQLSRV @request.php|-|filter|-"
  "xdebug-stack-overflow|php|$XDEBUG|-|-d extension=$XDEBUG @request.php|-|debug|-"
  "sqlsrv-double-free|php|$SQLSRV msodbcsql18.dll|-|-d extension=$SQLSRV @request.php|USE_ZEND_ALLOC=0|filter|full"
  "mbstring-stack-cookie|php|php_mbstring.dll|-|-d extension=php_mbstring.dll @request.php|-|debug|-"
  "odbc-cpp-exception|php|$SQLSRV msodbcsql18.dll|-|-d extension=$SQLSRV @request.php|-|filter|-"
  "php-max-requests-exit|php|php_curl.dll dumponexit.dll|-|-d extension=php_curl.dll @request.php|PHP_FCGI_MAX_REQUESTS=5 TESTDUMP_REQUESTS=8 TESTDUMP_ON_EXIT=1|exit|-"
  "ioncube-no-pdb|php|$IONCUBE|$IONCUBE|-d zend_extension=$IONCUBE @request.php|-|filter|-"
  "ruby-nokogiri-null-read|ruby|nokogiri.so|-|@script.rb|-|filter|-"
  "ruby-mysql2-thread|ruby|mysql2.so libmysql.dll|-|@script.rb|-|filter|full"
  "redis-inline-null-read|php|php_redis.dll|-|-d extension=php_redis.dll @request.php|-|filter|-"
  "apcu-noncanonical-read|php|php_apcu.dll|-|-d extension=php_apcu.dll @request.php|-|filter|-"
)
# Built with -O2 like PHP's release builds (/O2): their static helpers are inlined (S_INLINESITE in the PDB).
OPTIMIZED_SOURCES="src/php/ext/redis.c"
# ---------------------------------------------------------------------------------------------------

full=0
live_only=0
wanted=()
for arg in "$@"; do
  case "$arg" in
    --full) full=1 ;;
    --live) live_only=1 ;;
    --list) for s in "${SCENARIOS[@]}"; do echo "${s%%|*}"; done; exit 0 ;;
    -*) echo "make.sh: unknown option $arg (usage: make.sh [--full] [--list] [--live] [scenario...])" >&2; exit 2 ;;
    *) wanted+=("$arg") ;;
  esac
done
for name in "${wanted[@]}"; do
  found=0
  for s in "${SCENARIOS[@]}"; do [ "${s%%|*}" = "$name" ] && found=1; done
  [ $found = 1 ] || { echo "make.sh: no scenario named '$name' (make.sh --list shows them)" >&2; exit 2; }
done

step() { printf '== %s\n' "$*"; }
winpath() { printf 'Z:%s' "${1//\//\\}"; }      # Wine maps Z: to /

for tool in wine wineserver x86_64-w64-mingw32-gcc x86_64-w64-mingw32-windres clang lld-link llvm-dlltool llvm-objcopy dotnet; do
  command -v "$tool" >/dev/null || { echo "make.sh: '$tool' not found (scripts/ensure-tools.sh installs wine64 mingw-w64 clang lld llvm; dotnet is the .NET SDK)" >&2; exit 1; }
done

# Compiler and linker set-up, shared by the scenario build and --live.
bin=$build/bin
gcclib=$(dirname "$(x86_64-w64-mingw32-gcc -print-libgcc-file-name)")   # clang needs libgcc from mingw-w64
# -O0 and noinline: every function keeps its frame, so stacks are the real call chains.
# -ffile-compilation-dir=. and /pdbsourcepath:TestDumps with paths relative to TestDumps/: the PDBs name
# TestDumps\src\..., not this machine's folders; /pdbaltpath:%_PDB% puts only the PDB's file name in the
# image's CodeView record; a fixed /timestamp makes rebuilds byte-identical.
cflags=(--target=x86_64-w64-windows-gnu -O0 -g -gcodeview -fno-omit-frame-pointer -ffile-compilation-dir=.
        -Wall -Wno-unused-function -Isrc)
ldflags=(--target=x86_64-w64-windows-gnu -fuse-ld=lld -L"$gcclib" -Lbin -Wl,-Xlink=-pdbaltpath:%_PDB%
         -Wl,-Xlink=-timestamp:1700000000 -Wl,-Xlink=-pdbsourcepath:TestDumps)

# version_resource <image> <object>: compiles the image's VS_VERSIONINFO from src/versions.txt (false when the
# real module has none, as gems built by mkmf and the test-harness stand-ins)
version_resource() {
  local image=$1 object=$2 line
  line=$(awk -F'|' -v m="$image" '$1 == m' src/versions.txt)
  [ -n "$line" ] || return 1
  local _ version company product description copyright
  IFS='|' read -r _ version company product description copyright <<< "$line"
  local comma=${version//./,}
  local type=0x2L; [[ $image == *.exe ]] && type=0x1L
  cat > "${object%.o}" <<RC
1 VERSIONINFO
FILEVERSION $comma
PRODUCTVERSION $comma
FILEFLAGSMASK 0x3fL
FILEFLAGS 0x0L
FILEOS 0x40004L
FILETYPE $type
FILESUBTYPE 0x0L
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904b0"
    BEGIN
      VALUE "CompanyName", "$company"
      VALUE "FileDescription", "$description"
      VALUE "FileVersion", "$version"
      VALUE "InternalName", "${image%.*}"
      VALUE "LegalCopyright", "$copyright"
      VALUE "OriginalFilename", "$image"
      VALUE "ProductName", "$product"
      VALUE "ProductVersion", "$version"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
RC
  x86_64-w64-mingw32-windres -c 65001 -O coff -i "${object%.o}" -o "$object"
}

image_base=0x180000000
# link <output image> <pdb or -> <sources...> [-- link options]
link() {
  local out=$1 pdb=$2; shift 2
  local sources=() objects=() options=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do sources+=("$1"); shift; done
  [ $# -gt 0 ] && { shift; options=("$@"); }
  for source in "${sources[@]}"; do
    local object=obj/$(basename "$out").$(basename "$source").o
    if [ "$pdb" = "-" ]; then   # shipped without debug information: no -g, stripped
      clang --target=x86_64-w64-windows-gnu -O0 -Wall -Wno-unused-function -c -o "$build/$object" "$source"
    else
      local opt=(); [[ " $OPTIMIZED_SOURCES " == *" $source "* ]] && opt=(-O2)
      clang "${cflags[@]}" "${opt[@]}" $([[ $source == *.cpp ]] && echo "-x c++ -std=c++17 -fno-exceptions -fno-rtti") \
        -c -o "$build/$object" "$source"
    fi
    objects+=("$object")
  done
  # the version resource the real module carries (src/versions.txt), as lmv and the engine's version calls show it
  if version_resource "$(basename "$out")" "$build/obj/$(basename "$out").rc.o"; then objects+=("obj/$(basename "$out").rc.o"); fi
  local shared=()
  if [[ $out != *.exe ]]; then
    # each DLL its own preferred base, as shipped DLLs have: all at lld's default base, every DLL but
    # the first is relocated
    image_base=$((image_base + 0x1000000))
    shared=(-shared -Wl,--out-implib,"bin/lib$(basename "${out%.*}").a" -Wl,--image-base,$(printf '0x%x' $image_base))
  fi
  # linked inside the build folder with relative paths: the PDB records the link command line
  if [ "$pdb" = "-" ]; then
    (cd "$build" && clang "${ldflags[@]}" "${shared[@]}" -s -o "bin/$out" "${objects[@]}" "${options[@]}")
  else
    (cd "$build" && clang "${ldflags[@]}" "${shared[@]}" -g -s -Wl,--pdb="bin/$pdb" -o "bin/$out" "${objects[@]}" "${options[@]}")
  fi
  # the DWARF sections of mingw-w64's own libraries would triple the image sizes; the PDB has ours
  llvm-objcopy --strip-debug "$bin/$out"
}

# The live-debugging helpers (TestDumps/live): not part of any scenario. Linked last and at a base of their own, so
# the scenario images (their preferred bases) come out the same with or without them.
live=$here/live
build_live() {
  image_base=0x1a0000000
  link w3wp.exe w3wp.pdb src/iis/w3wp.c -- -lshell32
  link php_wait_debugger.dll php_wait_debugger.pdb src/php/ext/wait_debugger.c
  # php-cgi.exe serving FastCGI over IIS's named pipe (fcgi repro's Windows worker; TestDumps/repro-layout.sh lays it
  # out with the xdebug scenario's php8ts.dll and extension). php8ts.dll's import library from its exports, so that
  # --live never rebuilds the scenario images.
  mkdir -p "$bin/fcgi"
  printf '%s\n' 'LIBRARY php8ts.dll' EXPORTS php_module_startup php_module_shutdown php_request_startup php_request_shutdown \
    php_execute_script > "$build/obj/php8ts-fcgi.def"
  llvm-dlltool -m i386:x86-64 -d "$build/obj/php8ts-fcgi.def" -l "$bin/fcgi/libphp8ts.a"
  link fcgi/php-cgi.exe fcgi/php-cgi.pdb src/php/cgi_main.c src/php/fastcgi.c -- -Lbin/fcgi -lphp8ts
  mkdir -p "$live/fcgi"
  for file in w3wp.exe w3wp.pdb php_wait_debugger.dll php_wait_debugger.pdb fcgi/php-cgi.exe fcgi/php-cgi.pdb; do
    cmp -s "$bin/$file" "$live/$file" || cp "$bin/$file" "$live/$file"
  done
}
if [ $live_only = 1 ]; then
  step "live-debugging helpers into $live"
  mkdir -p "$bin" "$build/obj"
  cd "$here"
  build_live
  ls -l "$live"
  exit 0
fi

step "dbgeng package $DBGENG_VERSION (for dbgcore.dll)"
packages=$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: *//p')
package=${packages%/}/microsoft.debugging.platform.dbgeng/$DBGENG_VERSION
if [ ! -f "$package/content/amd64/dbgcore.dll" ]; then
  restore=$(mktemp -d)
  cat > "$restore/restore.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Microsoft.Debugging.Platform.DbgEng" Version="[$DBGENG_VERSION]" /></ItemGroup>
</Project>
XML
  dotnet restore "$restore/restore.csproj" -nologo -v:q > "$restore/restore.log" 2>&1 ||
    { cat "$restore/restore.log" >&2; echo "make.sh: could not restore Microsoft.Debugging.Platform.DbgEng $DBGENG_VERSION" >&2; exit 1; }
  rm -rf "$restore"
fi
[ -f "$package/content/amd64/dbgcore.dll" ] || { echo "make.sh: $package/content/amd64/dbgcore.dll missing after restore" >&2; exit 1; }

# Rebuilt when a source, a tool or this script is newer than the last build (or the build is missing).
stamp=$build/.built
if [ -f "$stamp" ] && [ -z "$(find "$here/src" "$here/tools" "$here/make.sh" -newer "$stamp" -print -quit)" ]; then
  step "build up to date in $build"
  cd "$here"
else
  step "build (clang + lld, CodeView PDBs) into $build"
  mkdir -p "$bin" "$build/obj" "$build/tools"
  cd "$here"
  # Import library for the Visual C++ runtime DLL: the real PHP and ODBC binaries take memcpy and
  # _CxxThrowException from vcruntime140.dll (Wine has a builtin one), not from msvcrt.dll.
  printf 'LIBRARY vcruntime140.dll\nEXPORTS\nmemcpy\n_CxxThrowException\n' > "$build/obj/vcruntime140.def"
  llvm-dlltool -m i386:x86-64 -d "$build/obj/vcruntime140.def" -l "$bin/libvcruntime140.a"

  link winheap_standin.dll winheap_standin.pdb src/php/winheap_standin.c -- -lntdll
  link php8ts.dll php8ts.pdb src/php/php8ts.c -- -lwinheap_standin
  link php-cgi.exe php-cgi.pdb src/php/php-cgi.c -- -lphp8ts
  link dumponexit.dll dumponexit.pdb src/php/dumponexit.c
  link "$XDEBUG" "${XDEBUG%.dll}.pdb" src/php/ext/xdebug.c -- -lphp8ts
  link php_curl.dll php_curl.pdb src/php/ext/curl.c -- -lphp8ts
  link php_opcache.dll php_opcache.pdb src/php/ext/opcache.c -- -lphp8ts
  link php_mbstring.dll php_mbstring.pdb src/php/ext/mbstring.c -- -lphp8ts
  link msodbcsql18.dll msodbcsql18.pdb src/vendor/msodbcsql18.cpp -- -lvcruntime140
  link "$SQLSRV" "${SQLSRV%.dll}.pdb" src/php/ext/pdo_sqlsrv.c -- -lphp8ts -lmsodbcsql18 -lvcruntime140
  link "$IONCUBE" - src/php/ext/ioncube_loader.c -- -lphp8ts
  link x64-ucrt-ruby310.dll x64-ucrt-ruby310.pdb src/ruby/ruby310.c
  link ruby.exe ruby.pdb src/ruby/ruby.c -- -lx64-ucrt-ruby310
  link nokogiri.so nokogiri.pdb src/ruby/gems/nokogiri.c -- -lx64-ucrt-ruby310
  link libmysql.dll libmysql.pdb src/vendor/libmysql.c
  link mysql2.so mysql2.pdb src/ruby/gems/mysql2.c -- -lx64-ucrt-ruby310 -llibmysql
  link php_redis.dll php_redis.pdb src/php/ext/redis.c -- -lphp8ts
  link php_apcu.dll php_apcu.pdb src/php/ext/apcu.c -- -lphp8ts
  build_live

  x86_64-w64-mingw32-gcc -O1 -Wall -o "$build/tools/dumper.exe" tools/dumper.c
  cp "$package/content/amd64/dbgcore.dll" "$build/tools/"
  touch "$stamp"
  # full dumps made from the previous images would no longer match the PDBs: drop them
  rm -f "$here"/scenarios/*/full.dmp
fi

step "wine prefix $cache/wineprefix"
export WINEPREFIX=$cache/wineprefix WINEARCH=win64 WINEDEBUG=-all
# the package's DLLs, never Wine's builtin stubs of the same names
export WINEDLLOVERRIDES="dbgeng,dbghelp,dbgcore,dbgmodel,msdia140=n"
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  mkdir -p "$WINEPREFIX"
  wine wineboot -i > "$cache/wineboot.log" 2>&1 || true
  wineserver -w
fi
# one warm server for all runs; it exits by itself 60 s after the last Wine process ("-p 60" would mean
# forever). Not killed at the end: engine sessions of the tests may share this prefix. Its output goes to
# /dev/null: a server that outlives this script must not hold the caller's stdout pipe open.
wineserver -p60 > /dev/null 2>&1 || true    # fails when a server is already running: fine

# Where each module lives on the Windows side (under C:\ of the Wine prefix), as installed on a real
# server: the paths end up in the dump's module list.
GEMS=Ruby31-x64/lib/ruby/gems/3.1.0/gems
install_dir() {
  case "$1" in
    php-cgi.exe|php8ts.dll|winheap_standin.dll|dumponexit.dll) echo php ;;
    php_*.dll) echo php/ext ;;
    msodbcsql18.dll) echo windows/system32 ;;
    ruby.exe|x64-ucrt-ruby310.dll|libmysql.dll) echo Ruby31-x64/bin ;;
    nokogiri.so) echo $GEMS/nokogiri-1.15.5-x64-mingw-ucrt/lib/nokogiri/3.1 ;;
    mysql2.so) echo $GEMS/mysql2-0.5.5-x64-mingw-ucrt/lib/mysql2/3.1 ;;
    *) echo "make.sh: no install folder for $1" >&2; return 1 ;;
  esac
}

# run_scenario <definition> <kind: mini|full>
run_scenario() {
  local name host modules nopdb args envs dump hasfull
  IFS='|' read -r name host modules nopdb args envs dump hasfull <<< "$1"
  local kind=$2 dir=$here/scenarios/$name drive=$WINEPREFIX/drive_c
  local out=minidump.dmp; [ "$kind" = full ] && out=full.dmp
  [ -d "$dir" ] || { echo "make.sh: $dir missing (it holds the scenario's script and expected.yaml)" >&2; return 1; }
  local base=$PHP_HOST exe='C:\php\php-cgi.exe' workdir=$drive/php
  [ "$host" = ruby ] && { base=$RUBY_HOST; exe='C:\Ruby31-x64\bin\ruby.exe'; workdir=$drive/Ruby31-x64/bin; }
  # a clean install of just this scenario's modules; the scenario folder gets the same images and
  # their PDBs (it is the symbol and image path of the tests)
  rm -rf "$drive/php" "$drive/Ruby31-x64" "$drive/inetpub" "$drive/windows/system32/msodbcsql18.dll"
  # (files are replaced only when they differ: tests may be reading the folder meanwhile)
  local shipped=()
  for module in $base $modules; do
    local target; target=$drive/$(install_dir "$module")
    mkdir -p "$target"
    cp "$bin/$module" "$target/"
    shipped+=("$module")
    [[ " $nopdb " == *" $module "* ]] || shipped+=("${module%.*}.pdb")
  done
  for file in "${shipped[@]}"; do cmp -s "$bin/$file" "$dir/$file" || cp "$bin/$file" "$dir/$file"; done
  for file in "$dir"/*.exe "$dir"/*.dll "$dir"/*.so "$dir"/*.pdb; do   # left over from an older definition
    [ -e "$file" ] && [[ " ${shipped[*]} " != *" $(basename "$file") "* ]] && rm -f "$file"
  done
  mkdir -p "$drive/inetpub/wwwroot"
  local script=${args##*@}
  cp "$dir/$script" "$drive/inetpub/wwwroot/"
  args=${args/@$script/C:\\inetpub\\wwwroot\\$script}
  rm -f "$dir/$out" "$drive/dumps/$out"
  mkdir -p "$drive/dumps" "$drive/testdumps-tools"
  cp "$build/tools/dumper.exe" "$build/tools/dbgcore.dll" "$drive/testdumps-tools/"
  # A clean environment with Windows-side paths only: the dump keeps the process environment and the
  # dumper's command line (stack and heap memory), and they must not carry this machine's variables.
  local env=(PATH=/usr/local/bin:/usr/bin:/bin HOME="$HOME" WINEPREFIX="$WINEPREFIX" WINEARCH=win64 WINEDEBUG=-all
             WINEDLLOVERRIDES="$WINEDLLOVERRIDES" TESTDUMP_FILE="C:\\dumps\\$out" TESTDUMP_KIND="$kind")
  [ "$envs" = "-" ] || env+=($envs)
  local command=(wine "$exe" $args)
  if [ "$dump" = debug ]; then
    command=(wine 'C:\testdumps-tools\dumper.exe' --debug "C:\\dumps\\$out" "$kind" "$exe" $args)
  else
    env+=(TESTDUMP_WRITER='C:\testdumps-tools\dumper.exe')
  fi
  # Wine output goes to a file: Wine's background services inherit pipes and would keep them open
  (cd "$workdir" && env -i "${env[@]}" timeout 120 "${command[@]}" > "$build/$name.$kind.log" 2>&1) || true
  [ -s "$drive/dumps/$out" ] && mv "$drive/dumps/$out" "$dir/$out"
  if [ ! -s "$dir/$out" ]; then
    echo "make.sh: $name: no $out written; program output in $build/$name.$kind.log:" >&2
    cat "$build/$name.$kind.log" >&2
    return 1
  fi
  printf '%-26s %-12s %8d bytes\n' "$name" "$out" "$(stat -c %s "$dir/$out")"
}

step "scenarios"
failed=0
for s in "${SCENARIOS[@]}"; do
  name=${s%%|*}
  if [ ${#wanted[@]} -gt 0 ] && [[ " ${wanted[*]} " != *" $name "* ]]; then continue; fi
  if [ $full = 0 ]; then run_scenario "$s" mini || failed=1
  elif [ "${s##*|}" = full ]; then run_scenario "$s" full || failed=1
  elif [ ${#wanted[@]} -gt 0 ]; then echo "make.sh: $name has no full dump (make.sh --full builds: $(for x in "${SCENARIOS[@]}"; do [ "${x##*|}" = full ] && printf '%s ' "${x%%|*}"; done))" >&2; failed=1
  fi
done
[ $failed = 0 ] || { echo "make.sh: some scenarios failed" >&2; exit 1; }
echo "TestDumps: $(du -sh --exclude=full.dmp "$here" | cut -f1) (without full dumps)"
