<?php
// Recursion through array_map recurses in C (the engine re-enters itself for each callback), unlike plain PHP recursion,
// which PHP 8.2 keeps on its own VM stack until memory_limit stops it with a fatal error. So this overflows the C stack:
// SIGSEGV in Debian's php-cgi 8.2 (10 of 10 runs at the default 8 MB stack and memory_limit=128M, 10 of 10 under
// ulimit -s 256, where it takes a few milliseconds).
function deeper($n) { return array_map('deeper', [$n + 1]); }
echo "going down\n";
deeper(0);
