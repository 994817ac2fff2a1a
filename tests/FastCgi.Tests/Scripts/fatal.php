<?php
echo "before\n";
undefined_function_for_the_test();
