# worker.rb: one thread closes the client, a second one queries it
require ../lib/ruby/gems/3.1.0/gems/mysql2-0.5.5-x64-mingw-ucrt/lib/mysql2/3.1/mysql2
call Mysql2::Client.new
call Mysql2::Client#close
thread Mysql2::Client#query SELECT-1
