# Included from src/CMakeLists.txt. Paths are relative to this file, so the
# fragment works whichever directory includes it.
add_library(sf_cache STATIC
  ${CMAKE_CURRENT_LIST_DIR}/async_reader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cached_catalog.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cached_users.cpp
  ${CMAKE_CURRENT_LIST_DIR}/circuit_breaker.cpp
  ${CMAKE_CURRENT_LIST_DIR}/client_base.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cluster_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/crc16.cpp
  ${CMAKE_CURRENT_LIST_DIR}/lru_cache.cpp
  ${CMAKE_CURRENT_LIST_DIR}/read_through.cpp
  ${CMAKE_CURRENT_LIST_DIR}/redis_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/redis_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/redis_connection.cpp
  ${CMAKE_CURRENT_LIST_DIR}/resp_parser.cpp
  ${CMAKE_CURRENT_LIST_DIR}/response_cache.cpp
  ${CMAKE_CURRENT_LIST_DIR}/standalone_client.cpp)
target_link_libraries(sf_cache PUBLIC sf_store Boost::headers PkgConfig::HIREDIS)
