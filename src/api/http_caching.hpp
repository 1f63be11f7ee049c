#pragma once

#include <string>
#include <string_view>

namespace storefront::api {

// A strong validator of `body`: a quoted 64-bit hash of its bytes, equal on
// every instance for the same bytes (so a CDN or browser revalidates against
// any instance). Not cryptographic: it only has to change when the bytes do.
std::string strong_etag(std::string_view body);

// RFC 9110 13.1.2: If-None-Match with "*" or a list of entity tags, compared
// weakly (W/"x" matches "x"). True: answer 304.
bool if_none_match_hits(std::string_view header, std::string_view etag);

}  // namespace storefront::api
