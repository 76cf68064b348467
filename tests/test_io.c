/* Tests of the io area (placeholder). */
#include <criterion/criterion.h>

Test(io, placeholder) { cr_assert(1); }
