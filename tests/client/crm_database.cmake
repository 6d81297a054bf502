# The client's CRM database (client/crm_database.h) on SQLite and on a real
# PostgreSQL server started by the test fixture.
add_library(superlicense_postgres_server STATIC support/postgres_server.cc)
target_include_directories(superlicense_postgres_server
  PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(superlicense_postgres_server
  PUBLIC absl::status absl::statusor absl::strings absl::core_headers
         Threads::Threads)
superlicense_warnings(superlicense_postgres_server)

# Shared set-up of the importer / assigner tests and the import benchmark:
# keys and trust bundle, signed sets, databases per backend.
add_library(superlicense_client_fixture STATIC support/client_fixture.cc)
target_include_directories(superlicense_client_fixture
  PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(superlicense_client_fixture
  PUBLIC superlicense_client_db superlicense_postgres_server
         superlicense_test_support)
superlicense_warnings(superlicense_client_fixture)

superlicense_test(crm_database_test client/crm_database_test.cc)
target_link_libraries(crm_database_test PRIVATE superlicense_client_db
                      superlicense_postgres_server)

superlicense_test(license_importer_test client/license_importer_test.cc)
target_link_libraries(license_importer_test PRIVATE superlicense_client_fixture)

# Big sets through the importer's batched writes, on both backends.
superlicense_test(import_batching_test client/import_batching_test.cc)
target_link_libraries(import_batching_test PRIVATE superlicense_client_fixture)

superlicense_test(license_assigner_test client/license_assigner_test.cc)
target_link_libraries(license_assigner_test PRIVATE superlicense_client_fixture)

# Verify / verify+import of sets of 10, 100 and 1,000 rows into SQLite
# (client/benchmarks/import_benchmark.cc). Not a test: run it by hand.
find_package(benchmark CONFIG REQUIRED)
add_executable(import_benchmark
  ${PROJECT_SOURCE_DIR}/client/benchmarks/import_benchmark.cc)
target_link_libraries(import_benchmark PRIVATE superlicense_client_fixture
                      benchmark::benchmark)
superlicense_warnings(import_benchmark)
