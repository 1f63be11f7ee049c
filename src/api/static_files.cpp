#include "api/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace storefront::api {
namespace {

std::string content_type_for(const std::filesystem::path& p) {
  const auto ext = p.extension().string();
  if (ext == ".js") return "text/javascript";
  if (ext == ".css") return "text/css";
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".png") return "image/png";
  if (ext == ".json") return "application/json";
  if (ext == ".map") return "application/json";
  return "application/octet-stream";
}

}  // namespace

StaticFiles StaticFiles::load(const std::string& directory) {
  StaticFiles out;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(directory, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream buf;
    buf << in.rdbuf();
    out.files_[it->path().filename().string()] = {buf.str(), content_type_for(it->path())};
  }
  return out;
}

const StaticFile* StaticFiles::find(std::string_view name) const {
  auto it = files_.find(name);
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace storefront::api
