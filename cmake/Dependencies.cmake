# Every dependency comes from a Debian 12 package (scripts/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(simdjson 3.0 REQUIRED CONFIG)            # simdjson::simdjson

if(EVBROKER_FUZZ)
  return()   # the fuzz build compiles the protocol layer only
endif()

find_package(OpenSSL 3 REQUIRED)                      # OpenSSL::SSL OpenSSL::Crypto
find_package(Boost 1.81 REQUIRED CONFIG)              # Boost::headers (Asio, Beast are header-only)
find_package(spdlog 1.10 REQUIRED CONFIG)             # spdlog::spdlog
find_package(PahoMqttCpp 1.2 REQUIRED CONFIG)         # PahoMqttCpp::paho-mqttpp3
find_package(PkgConfig REQUIRED)
pkg_check_modules(LMDB REQUIRED IMPORTED_TARGET lmdb) # PkgConfig::LMDB
if(EVBROKER_TESTS)
  find_package(Catch2 2.13 REQUIRED CONFIG)           # Catch2::Catch2WithMain
  include(Catch)
endif()

# CAF 0.17.6 ships neither a CMake config nor a pkg-config file.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
find_library(CAF_IO_LIBRARY caf_io REQUIRED)
add_library(CAF::core SHARED IMPORTED)
set_target_properties(CAF::core PROPERTIES IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}" INTERFACE_LINK_LIBRARIES Threads::Threads)
add_library(CAF::io SHARED IMPORTED)
set_target_properties(CAF::io PROPERTIES IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
  INTERFACE_LINK_LIBRARIES CAF::core)
