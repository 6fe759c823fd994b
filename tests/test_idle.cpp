#include <gtest/gtest.h>
TEST(IdlePlaceholder, Builds) { SUCCEED(); }
