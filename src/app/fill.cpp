// The `fill` subcommand lives in application.cpp next to `serve`; this unit
// holds its argument parsing and the generated media.
#include "app/fill.hpp"

#include <zlib.h>

#include <cstdlib>

#include "app/cli_args.hpp"

namespace storefront::app {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void put_chunk(std::string& out, const char* type, const std::string& data) {
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  std::string body(type, 4);
  body += data;
  out += body;
  put_u32(out, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()),
                                                static_cast<uInt>(body.size()))));
}

}  // namespace

Result<FillArgs> parse_fill_args(const std::vector<std::string>& args,
                                 std::vector<std::string>& rest) {
  FillArgs out;
  bool users_asked = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (auto v = flag_value(args, i, "--collection")) {
      out.collection = *v;
      users_asked = true;
    } else if (auto c = flag_value(args, i, "--count")) {
      auto n = integer_flag("--count", *c, 0, 100000000);
      if (!n) return n.error();
      out.count = *n;
      users_asked = true;
    } else if (auto p = flag_value(args, i, "--products")) {
      auto n = integer_flag("--products", *p, 0, 100000);
      if (!n) return n.error();
      out.products = *n;
    } else if (auto u = flag_value(args, i, "--stock")) {
      auto n = integer_flag("--stock", *u, 0, 1000000000);
      if (!n) return n.error();
      out.stock = *n;
    } else if (auto d = flag_value(args, i, "--media-dir")) {
      out.media_dir = *d;
    } else {
      rest.push_back(args[i]);
    }
  }
  out.users = users_asked || !out.products;
  if (!out.media_dir.empty() && !out.products) {
    return Error{ErrorKind::kInvalid, "--media-dir needs --products"};
  }
  if (out.stock && !out.products) return Error{ErrorKind::kInvalid, "--stock needs --products"};
  return out;
}

std::string generated_png(int width, int height, std::uint32_t rgb) {
  std::string raw;
  raw.reserve((static_cast<std::size_t>(width) * 3 + 1) * static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);  // filter: none
    for (int x = 0; x < width; ++x) {
      const bool band = std::abs(x - y) < width / 8;
      for (int shift = 16; shift >= 0; shift -= 8) {
        const int c = static_cast<int>((rgb >> shift) & 0xff);
        raw.push_back(static_cast<char>(band ? (c + 255) / 2 : c));
      }
    }
  }
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(size, '\0');
  compress2(reinterpret_cast<Bytef*>(packed.data()), &size,
            reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()), 9);
  packed.resize(size);
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string header;
  put_u32(header, static_cast<std::uint32_t>(width));
  put_u32(header, static_cast<std::uint32_t>(height));
  header += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, deflate, no interlace
  put_chunk(png, "IHDR", header);
  put_chunk(png, "IDAT", packed);
  put_chunk(png, "IEND", {});
  return png;
}

}  // namespace storefront::app
