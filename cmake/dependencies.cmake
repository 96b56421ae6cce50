# Locates the Debian packages the design depends on and exposes each as an
# imported target. CAF 0.17 ships neither a CMake config nor a .pc file.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(CapnProto REQUIRED)
find_package(RocksDB REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Catch2 2 REQUIRED)
pkg_check_modules(SECP256K1 REQUIRED IMPORTED_TARGET libsecp256k1)

find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
foreach(component core io openssl)
  find_library(CAF_${component}_LIBRARY caf_${component} REQUIRED)
  add_library(caf::${component} SHARED IMPORTED)
  set_target_properties(caf::${component} PROPERTIES
    IMPORTED_LOCATION "${CAF_${component}_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
endforeach()
set_property(TARGET caf::io APPEND PROPERTY INTERFACE_LINK_LIBRARIES caf::core)
set_property(TARGET caf::openssl APPEND PROPERTY INTERFACE_LINK_LIBRARIES caf::io OpenSSL::SSL)

if(NOT TARGET RocksDB::rocksdb)
  add_library(RocksDB::rocksdb ALIAS RocksDB::rocksdb-shared)
endif()

# Crypto++: an independent Keccak-256 for tests and the benchmark's peer only.
find_path(CRYPTOPP_INCLUDE_DIR cryptopp/keccak.h REQUIRED)
find_library(CRYPTOPP_LIBRARY cryptopp REQUIRED)
add_library(cryptopp::cryptopp UNKNOWN IMPORTED)
set_target_properties(cryptopp::cryptopp PROPERTIES
  IMPORTED_LOCATION "${CRYPTOPP_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${CRYPTOPP_INCLUDE_DIR}")
