#include "redis/key_slot.hpp"

#include <gtest/gtest.h>

namespace storefront::redis {
namespace {

TEST(Crc16, XmodemCheckValue) {
  EXPECT_EQ(crc16_xmodem("123456789"), 0x31C3);
  EXPECT_EQ(crc16_xmodem(""), 0x0000);
  EXPECT_EQ(crc16_xmodem("A"), 0x58E5);
}

TEST(Crc16, HashTag) {
  EXPECT_EQ(hash_tag("foo"), "foo");
  EXPECT_EQ(hash_tag("{user1000}.following"), "user1000");
  EXPECT_EQ(hash_tag("foo{}{bar}"), "foo{}{bar}");  // empty tag: whole key
  EXPECT_EQ(hash_tag("foo{{bar}}zap"), "{bar");
  EXPECT_EQ(hash_tag("foo{bar}{zap}"), "bar");  // first tag only
  EXPECT_EQ(hash_tag("{bar"), "{bar");          // unclosed: whole key
  EXPECT_EQ(hash_tag("storefront:v1:{helloDb.helloDoc}:users"), "helloDb.helloDoc");
}

// Expected values from `redis-cli CLUSTER KEYSLOT` on redis 7.0.15.
TEST(Crc16, KeySlotsMatchRedis) {
  EXPECT_EQ(key_slot("123456789"), 12739);
  EXPECT_EQ(key_slot("foo"), 12182);
  EXPECT_EQ(key_slot("bar"), 5061);
  EXPECT_EQ(key_slot("hello"), 866);
  EXPECT_EQ(key_slot("{user1000}.following"), 3443);
  EXPECT_EQ(key_slot("{user1000}.followers"), 3443);
  EXPECT_EQ(key_slot("foo{}{bar}"), 8363);
  EXPECT_EQ(key_slot("foo{{bar}}zap"), 4015);
  EXPECT_EQ(key_slot("foo{bar}{zap}"), 5061);
  EXPECT_EQ(key_slot("{}"), 15257);
  EXPECT_EQ(key_slot("a{b}c"), 3300);
  EXPECT_EQ(key_slot(""), 0);
  EXPECT_EQ(key_slot("storefront:v1:{helloDb.helloDoc}:users"), 8399);
  EXPECT_EQ(key_slot("storefront:v1:{helloDb.helloDoc}:gen"), 8399);
}

TEST(Crc16, SlotsInRange) {
  for (int i = 0; i < 10000; ++i) {
    int slot = key_slot("key:" + std::to_string(i));
    ASSERT_GE(slot, 0);
    ASSERT_LT(slot, kClusterSlots);
  }
}

}  // namespace
}  // namespace storefront::redis
