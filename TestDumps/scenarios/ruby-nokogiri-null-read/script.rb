# app.rb
require ../lib/ruby/gems/3.1.0/gems/nokogiri-1.15.5-x64-mingw-ucrt/lib/nokogiri/3.1/nokogiri
call Nokogiri::XML <!DOCTYPE-html><html/>
