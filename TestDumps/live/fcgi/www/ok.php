# ok.php: calls an extension function and returns; every request of it completes
call xdebug_info
