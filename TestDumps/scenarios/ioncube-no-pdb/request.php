# <?php //0046a encoded by the ionCube Encoder; its licence key block is missing
call none
