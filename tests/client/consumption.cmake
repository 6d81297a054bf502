# Consumption recording and monthly usage (client/consumption.h) and the
# status tab's system messages (client/system_messages.h), on SQLite and on
# a real PostgreSQL server started by the test fixture.
superlicense_test(consumption_test client/consumption_test.cc)
target_link_libraries(consumption_test PRIVATE superlicense_client_fixture)

superlicense_test(system_messages_test client/system_messages_test.cc)
target_link_libraries(system_messages_test PRIVATE superlicense_client_fixture)
