# status.php: a healthy request; the worker leaves after PHP_FCGI_MAX_REQUESTS of them
call curl_init
