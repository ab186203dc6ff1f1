# Black-box suites: the real keel binary over real sockets, driven by Debian's
# Python with independent client libraries (httpx, PyJWT, argon2-cffi).
set(KEEL_PYTHON /usr/bin/python3)
add_test(NAME blackbox.http
  COMMAND ${KEEL_PYTHON} -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/tests/blackbox)
set_tests_properties(blackbox.http PROPERTIES
  ENVIRONMENT "KEEL_BINARY=$<TARGET_FILE:keel>;KEEL_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
  TIMEOUT 1200)
add_test(NAME docs.checklist
  COMMAND ${KEEL_PYTHON} ${CMAKE_SOURCE_DIR}/tests/checklist/check_checklist.py
          ${CMAKE_SOURCE_DIR})
