# report.php: fetches a varbinary(max) column
call sqlsrv_prepare
call sqlsrv_get_field 3
