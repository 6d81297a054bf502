# The client's CRM database (client/crm_database.h) on SQLite and on a real
# PostgreSQL server started by the test fixture.
add_library(superlicense_postgres_server STATIC support/postgres_server.cc)
target_include_directories(superlicense_postgres_server
  PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(superlicense_postgres_server
  PUBLIC absl::status absl::statusor absl::strings absl::synchronization)
superlicense_warnings(superlicense_postgres_server)

superlicense_test(crm_database_test client/crm_database_test.cc)
target_link_libraries(crm_database_test PRIVATE superlicense_client_db
                      superlicense_postgres_server)

superlicense_test(license_importer_test client/license_importer_test.cc)
target_link_libraries(license_importer_test PRIVATE superlicense_client_db
                      superlicense_postgres_server)

superlicense_test(license_assigner_test client/license_assigner_test.cc)
target_link_libraries(license_assigner_test PRIVATE superlicense_client_db
                      superlicense_postgres_server)
