# The module catalogue (authority/catalog).
superlicense_test(catalog_test authority/catalog_test.cc)
target_link_libraries(catalog_test PRIVATE superlicense_catalog)
