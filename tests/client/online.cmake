# The client's online flow (client/online/license_fetcher.h) against the real
# authority server over TLS on 127.0.0.1, with a SQLite CRM database.
superlicense_test(license_fetcher_test client/license_fetcher_test.cc)
target_link_libraries(license_fetcher_test PRIVATE superlicense_client_online
                      superlicense_server superlicense_test_pki
                      superlicense_client_fixture)
