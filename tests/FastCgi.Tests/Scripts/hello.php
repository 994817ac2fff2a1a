<?php
// Echoes what the tests look for: the query, IIS's SERVER_SOFTWARE as the worker got it, and the worker's pid.
echo "hello ", $_GET["who"] ?? "world", " from ", $_SERVER["SERVER_SOFTWARE"] ?? "?", " pid ", getmypid(), "\n";
