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

# OpenAPI and docs UI (issue 7), with the npm tools scripts/setup installs:
# the generated document passes Redocly's lint, and a headless Chromium
# drives /docs and /redoc, keeping screenshots in build/test-artifacts/docs_ui/<build>.
add_test(NAME openapi.lint COMMAND bash ${CMAKE_SOURCE_DIR}/tests/docs_ui/lint_openapi.sh)
set_tests_properties(openapi.lint PROPERTIES
  ENVIRONMENT "KEEL_BINARY=$<TARGET_FILE:keel>;KEEL_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
  TIMEOUT 300)
get_filename_component(keel_build_name ${CMAKE_BINARY_DIR} NAME)
add_test(NAME openapi.docs_ui COMMAND node --test ${CMAKE_SOURCE_DIR}/tests/docs_ui/docs_ui.test.mjs)
set_tests_properties(openapi.docs_ui PROPERTIES
  ENVIRONMENT "KEEL_BINARY=$<TARGET_FILE:keel>;KEEL_ARTIFACTS_DIR=${CMAKE_SOURCE_DIR}/build/test-artifacts/docs_ui/${keel_build_name}"
  TIMEOUT 300)

# Deployment artifacts (issue 9): nginx from deploy/nginx in front of the real
# keel over HTTP/2, and static checks of the k8s manifests, compose file,
# Dockerfile and systemd unit (yamllint, systemd-analyze verify). The image is
# built and run by `make test-deploy` (outside ctest: it needs root and podman).
add_test(NAME deploy.checks
  COMMAND ${KEEL_PYTHON} -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/tests/deploy)
set_tests_properties(deploy.checks PROPERTIES
  ENVIRONMENT "KEEL_BINARY=$<TARGET_FILE:keel>;KEEL_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
  TIMEOUT 300)
