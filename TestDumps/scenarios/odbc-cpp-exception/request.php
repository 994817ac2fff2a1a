# login.php: connects to a server whose TLS certificate is not trusted
call sqlsrv_connect tcp:sql01.contoso.local,1433
