#pragma once

#include <bson/bson.h>

#include <string>

#include "common/result.hpp"

namespace storefront::store {

// The one place where libmongoc/libbson errors become an ErrorKind.
ErrorKind classify_mongo_error(const bson_error_t& error);

// An Error carrying the kind and a log message with domain/code.
Error mongo_error(const bson_error_t& error, std::string_view operation);

}  // namespace storefront::store
