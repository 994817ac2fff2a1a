# title.php: mb_convert_case of a long word
call mb_convert_case internationalization-of-characters
