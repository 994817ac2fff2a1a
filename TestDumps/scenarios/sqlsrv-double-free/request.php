# orders.php (USE_ZEND_ALLOC=0): frees a statement twice
call sqlsrv_prepare
call sqlsrv_free_stmt
call sqlsrv_free_stmt
