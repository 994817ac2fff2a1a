# cache.php: a Redis GET on a connection the server has dropped after its idle timeout
call redis_connect 127.0.0.1
call redis_get session:42
