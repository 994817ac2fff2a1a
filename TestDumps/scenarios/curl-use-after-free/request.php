# api.php: closes a cURL handle, then runs it
call curl_init
call curl_close 0
call curl_exec 0
