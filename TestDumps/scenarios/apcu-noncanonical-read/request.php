# cart.php: caches a session under a long key, then reads it back
call apcu_store user_cart_session_data_for_customer_4711
call apcu_fetch user_cart
