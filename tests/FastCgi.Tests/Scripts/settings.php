<?php
// What the worker got from --env (its environment) and from --php-ini (its php.ini).
echo "env=", getenv("FCGI_REPRO_TEST") ?: "-", " memory_limit=", ini_get("memory_limit"), "\n";
