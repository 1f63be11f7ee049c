#pragma once

#include <bson/bson.h>

#include <string>

namespace storefront::store {

// Appends a user document as {"id": "<hex>", "age": ..., "name": ...},
// the shape of the original UserModel (missing fields render as null).
void append_user_json(std::string& out, const bson_t* doc);

// Appends any BSON value as relaxed JSON: ObjectId -> hex string, dates ->
// ISO-8601 strings, Decimal128 -> string, binary and other exotic types -> null.
void append_bson_value_json(std::string& out, const bson_iter_t* it);

}  // namespace storefront::store
