superlicense_test(store_test authority/store_test.cc)
target_link_libraries(store_test PRIVATE superlicense_store)

superlicense_test(license_authority_test authority/license_authority_test.cc)
target_link_libraries(license_authority_test PRIVATE superlicense_service)

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
