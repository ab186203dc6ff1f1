# PostgreSQL-backed suites. A throwaway PostgreSQL 15 (tests/support/postgres.sh:
# initdb in /tmp, loopback, a free port, trust auth) is started by the
# postgres.start fixture and stopped by postgres.stop even when tests fail.
# A suite that needs the server declares FIXTURES_REQUIRED keel_postgres and
# runs under `postgres.sh run STATE_DIR ...`, which sets KEEL_TEST_POSTGRES_URL.
# Suites that stop the server on purpose (outage tests) share RESOURCE_LOCK
# keel_postgres_server with every suite that uses it.
set(KEEL_PG_STATE ${CMAKE_BINARY_DIR}/postgres-test)
set(KEEL_PG_SCRIPT ${CMAKE_SOURCE_DIR}/tests/support/postgres.sh)

add_test(NAME postgres.start COMMAND ${KEEL_PG_SCRIPT} start ${KEEL_PG_STATE} auto)
set_tests_properties(postgres.start PROPERTIES FIXTURES_SETUP keel_postgres TIMEOUT 120)
add_test(NAME postgres.stop COMMAND ${KEEL_PG_SCRIPT} stop ${KEEL_PG_STATE})
set_tests_properties(postgres.stop PROPERTIES FIXTURES_CLEANUP keel_postgres TIMEOUT 60)

if(TARGET keel_db_test)
  # The database unit tests' PostgreSQL cases (the SQLite ones run in unit.db),
  # including the outage test that stops and restarts the server.
  add_test(NAME unit.db.postgres
    COMMAND ${KEEL_PG_SCRIPT} run ${KEEL_PG_STATE}
            $<TARGET_FILE:keel_db_test> --gtest_filter=*postgresql*:Postgres*)
  set_tests_properties(unit.db.postgres PROPERTIES
    FIXTURES_REQUIRED keel_postgres
    RESOURCE_LOCK keel_postgres_server
    TIMEOUT 300)
endif()

# The PostgreSQL cases of other areas' unit tests (job claims under SKIP LOCKED, the audit log).
foreach(area IN ITEMS jobs audit service)
  if(TARGET keel_${area}_test)
    add_test(NAME unit.${area}.postgres
      COMMAND ${KEEL_PG_SCRIPT} run ${KEEL_PG_STATE} $<TARGET_FILE:keel_${area}_test> --gtest_filter=*postgresql*)
    set_tests_properties(unit.${area}.postgres PROPERTIES
      FIXTURES_REQUIRED keel_postgres
      RESOURCE_LOCK keel_postgres_server
      TIMEOUT 300)
  endif()
endforeach()

if(TARGET keel)
  # The database commands of the real binary (migrate, backup, restore) on
  # SQLite and PostgreSQL, driven by Debian's Python (tests/db).
  add_test(NAME db.cli
    COMMAND ${KEEL_PG_SCRIPT} run ${KEEL_PG_STATE}
            /usr/bin/python3 -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/tests/db)
  set_tests_properties(db.cli PROPERTIES
    FIXTURES_REQUIRED keel_postgres
    RESOURCE_LOCK keel_postgres_server
    ENVIRONMENT "KEEL_BINARY=$<TARGET_FILE:keel>"
    TIMEOUT 300)
endif()

if(TARGET keel)
  # The API's black-box suites again, on PostgreSQL: every server the tests
  # start gets a fresh database on the throwaway cluster (keel_harness.py).
  file(GLOB keel_pg_blackbox CONFIGURE_DEPENDS
    ${CMAKE_SOURCE_DIR}/tests/blackbox/test_auth*.py
    ${CMAKE_SOURCE_DIR}/tests/blackbox/test_users*.py
    ${CMAKE_SOURCE_DIR}/tests/blackbox/test_items*.py
    ${CMAKE_SOURCE_DIR}/tests/blackbox/test_attachments*.py
    ${CMAKE_SOURCE_DIR}/tests/blackbox/test_api_keys*.py
    ${CMAKE_SOURCE_DIR}/tests/blackbox/test_admin*.py
    ${CMAKE_SOURCE_DIR}/tests/blackbox/test_privacy*.py
    ${CMAKE_SOURCE_DIR}/tests/blackbox/test_webhooks*.py
    ${CMAKE_SOURCE_DIR}/tests/blackbox/test_email*.py
    ${CMAKE_SOURCE_DIR}/tests/blackbox/test_encryption*.py
    ${CMAKE_SOURCE_DIR}/tests/blackbox/test_database*.py)
  if(keel_pg_blackbox)
    add_test(NAME blackbox.postgres
      COMMAND ${KEEL_PG_SCRIPT} run ${KEEL_PG_STATE}
              /usr/bin/python3 -m pytest -q -p no:cacheprovider ${keel_pg_blackbox})
    set_tests_properties(blackbox.postgres PROPERTIES
      FIXTURES_REQUIRED keel_postgres
      RESOURCE_LOCK keel_postgres_server
      ENVIRONMENT "KEEL_BINARY=$<TARGET_FILE:keel>;KEEL_SOURCE_DIR=${CMAKE_SOURCE_DIR};KEEL_BLACKBOX_DIALECT=postgres"
      TIMEOUT 900)
  endif()
endif()

if(TARGET keel)
  # Scaling out (issue 9): two keel replicas on one database of the throwaway
  # cluster and one redis-server, behind nginx as a round-robin load balancer
  # (tests/deploy/test_scaling.py; `deploy.checks` skips it without PostgreSQL).
  add_test(NAME deploy.scaling
    COMMAND ${KEEL_PG_SCRIPT} run ${KEEL_PG_STATE}
            /usr/bin/python3 -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/tests/deploy/test_scaling.py)
  set_tests_properties(deploy.scaling PROPERTIES
    FIXTURES_REQUIRED keel_postgres
    RESOURCE_LOCK keel_postgres_server
    ENVIRONMENT "KEEL_BINARY=$<TARGET_FILE:keel>;KEEL_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
    TIMEOUT 300)
endif()
