# LicenseImporter::Import killed with SIGKILL at random points, on SQLite and
# on a real PostgreSQL server started by the test fixture: the database holds
# the old set or the new one, and it verifies.
superlicense_test(import_crash_test client/import_crash_test.cc)
target_link_libraries(import_crash_test PRIVATE superlicense_client_fixture)
