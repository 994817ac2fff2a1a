/* ruby.c - stand-in for RubyInstaller's ruby.exe: all the work is in x64-ucrt-ruby310.dll. */
#include "ruby.h"
#include "../../tools/crashfilter.h"

int main(int argc, char **argv) {
    crashfilter_install();
    ruby_sysinit(&argc, &argv);
    ruby_init();
    return ruby_run_node(ruby_options(argc, argv));
}
