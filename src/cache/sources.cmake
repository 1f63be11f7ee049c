# Included from src/CMakeLists.txt. Paths are relative to this file, so the
# fragment works whichever directory includes it.
add_library(sf_cache STATIC
  ${CMAKE_CURRENT_LIST_DIR}/cached_catalog.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cached_users.cpp
  ${CMAKE_CURRENT_LIST_DIR}/circuit_breaker.cpp
  ${CMAKE_CURRENT_LIST_DIR}/lru_cache.cpp
  ${CMAKE_CURRENT_LIST_DIR}/read_through.cpp
  ${CMAKE_CURRENT_LIST_DIR}/response_cache.cpp)
target_link_libraries(sf_cache PUBLIC sf_store sf_redis Boost::headers)
