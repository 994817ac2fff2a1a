# exit.php: the script ends itself as PHP's exit does: the request ends, the worker goes on serving
call xdebug_info
exit;
