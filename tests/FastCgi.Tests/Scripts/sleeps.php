<?php
echo "sleeping\n";
sleep(30);
