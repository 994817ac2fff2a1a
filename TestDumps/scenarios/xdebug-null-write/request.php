# index.php, run with xdebug.mode=trace and no writable xdebug.output_dir
call xdebug_info
