#pragma once

#include <cstdint>
#include <string_view>

namespace storefront::redis {

inline constexpr int kClusterSlots = 16384;

// CRC16-CCITT in the XMODEM variant (poly 0x1021, init 0, no reflection, no
// final xor), as used by Redis Cluster. crc16_xmodem("123456789") == 0x31C3.
std::uint16_t crc16_xmodem(std::string_view data);

// The part of `key` that is hashed: the text between the first '{' and the
// first '}' after it, if that text is non-empty; otherwise the whole key.
std::string_view hash_tag(std::string_view key);

// Redis Cluster hash slot of `key`: crc16(hash_tag(key)) mod 16384.
int key_slot(std::string_view key);

}  // namespace storefront::redis
