# Authentication, roles and authorization (authority/auth).

# Test PKI made with the openssl tool (CA, server and client certificates).
add_library(superlicense_test_pki STATIC support/test_pki.cc)
target_include_directories(superlicense_test_pki PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(superlicense_test_pki
  PUBLIC absl::status absl::statusor absl::strings)
superlicense_warnings(superlicense_test_pki)

superlicense_test(auth_test
  authority/auth_test.cc
  authority/auth_end_to_end_test.cc
  authority/auth_test_server.cc
  authority/installation_credentials_test.cc
  authority/principal_directory_test.cc
  authority/role_table_test.cc)
target_link_libraries(auth_test PRIVATE superlicense_auth superlicense_test_pki)
