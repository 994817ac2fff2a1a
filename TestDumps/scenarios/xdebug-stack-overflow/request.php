# recurse.php: function f() { f(); } f();
ucall
