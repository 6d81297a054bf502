# The client's run-time license checks (client/license_view.h) and user
# counting (client/user_count.h), on SQLite and on a real PostgreSQL server
# started by the test fixture.
superlicense_test(license_view_test client/license_view_test.cc)
target_link_libraries(license_view_test PRIVATE superlicense_client_db
                      superlicense_postgres_server)

superlicense_test(user_count_test client/user_count_test.cc)
target_link_libraries(user_count_test PRIVATE superlicense_client_db
                      superlicense_postgres_server)

# The tamper matrix: every column and row of the licensing tables edited with
# raw SQL, rows copied from another installation, every byte of a license
# file flipped; on SQLite and on PostgreSQL.
superlicense_test(tamper_matrix_test client/tamper_matrix_test.cc)
target_link_libraries(tamper_matrix_test PRIVATE superlicense_client_db
                      superlicense_postgres_server superlicense_client_fixture)
