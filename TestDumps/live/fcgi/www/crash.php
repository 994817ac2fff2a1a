# crash.php: switches Xdebug to trace mode with no trace file; the next user function call writes through Xdebug's NULL
# trace context (php_xdebug!xdebug_execute_ex), a crash in the middle of the request
ini xdebug.mode=trace
ucall main
