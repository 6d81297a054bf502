superlicense_test(store_test authority/store_test.cc)
target_link_libraries(store_test PRIVATE superlicense_store)

# A root, a certified owner key and a trust bundle for an in-process
# LicenseAuthority (tests/support/signing_identity.h).
add_library(superlicense_signing_identity STATIC support/signing_identity.cc)
target_include_directories(superlicense_signing_identity
  PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(superlicense_signing_identity PUBLIC superlicense_service)
superlicense_warnings(superlicense_signing_identity)

superlicense_test(license_authority_test authority/license_authority_test.cc)
target_link_libraries(license_authority_test PRIVATE
                      superlicense_signing_identity)

# Every field of every request with bad values (tests/authority/
# bad_input_matrix_test.cc).
superlicense_test(bad_input_matrix_test authority/bad_input_matrix_test.cc)
target_link_libraries(bad_input_matrix_test PRIVATE
                      superlicense_signing_identity)

# LicenseAuthority under 8 threads issuing, fetching, revoking and reading.
superlicense_test(authority_concurrency_test
  authority/authority_concurrency_test.cc)
target_link_libraries(authority_concurrency_test PRIVATE
                      superlicense_signing_identity)

superlicense_test(server_test authority/server_test.cc)
target_link_libraries(server_test PRIVATE superlicense_server superlicense_test_pki)
set(HEALTH_PROTO ${CMAKE_CURRENT_SOURCE_DIR}/authority/proto/health.proto)
protobuf_generate(TARGET server_test LANGUAGE cpp PROTOS ${HEALTH_PROTO} APPEND_PATH
  IMPORT_DIRS ${CMAKE_CURRENT_SOURCE_DIR}/authority/proto
  PROTOC_OUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/generated/health)
protobuf_generate(TARGET server_test LANGUAGE grpc PROTOS ${HEALTH_PROTO} APPEND_PATH
  GENERATE_EXTENSIONS .grpc.pb.h .grpc.pb.cc
  PLUGIN "protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>"
  IMPORT_DIRS ${CMAKE_CURRENT_SOURCE_DIR}/authority/proto
  PROTOC_OUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/generated/health)
target_include_directories(server_test PRIVATE
  ${CMAKE_CURRENT_BINARY_DIR}/generated/health)

# In-process issuing and fetch-at-scale benchmarks
# (authority/benchmarks/issue_benchmark.cc). Not a test: run it by hand.
find_package(benchmark CONFIG REQUIRED)
add_executable(issue_benchmark
  ${PROJECT_SOURCE_DIR}/authority/benchmarks/issue_benchmark.cc)
target_link_libraries(issue_benchmark PRIVATE superlicense_signing_identity
                      superlicense_test_support benchmark::benchmark)
superlicense_warnings(issue_benchmark)
