#pragma once

#include <map>
#include <string>
#include <string_view>

namespace storefront::api {

struct StaticFile {
  std::string content;
  std::string content_type;
};

// Files of one directory (the Swagger UI assets), read once at start-up and
// served from memory. Missing directory -> empty set.
class StaticFiles {
 public:
  static StaticFiles load(const std::string& directory);
  const StaticFile* find(std::string_view name) const;
  bool empty() const { return files_.empty(); }

 private:
  std::map<std::string, StaticFile, std::less<>> files_;
};

}  // namespace storefront::api
