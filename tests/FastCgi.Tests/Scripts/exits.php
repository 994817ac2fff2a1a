<?php
echo "leaving early\n";
exit(3);
echo "never printed\n";
