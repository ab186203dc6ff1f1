# Embeds migrations/<dialect>/*.sql into keel_db at build time (see
# cmake/embed_migrations.cmake). Adding a migration is dropping its
# .up.sql/.down.sql pair into each dialect folder: the CONFIGURE_DEPENDS glob
# notices new files on the next build.
if(NOT TARGET keel_db)
  return()
endif()
file(GLOB keel_migration_files CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/migrations/sqlite/*.sql
  ${CMAKE_SOURCE_DIR}/migrations/postgres/*.sql)
set(keel_migrations_cpp ${CMAKE_BINARY_DIR}/generated/keel/db/embedded_migrations.cpp)
# The file list, rewritten only when it changes: a removed migration must
# regenerate the .cpp too, and a vanished dependency alone does not.
set(keel_migrations_manifest ${CMAKE_BINARY_DIR}/generated/keel/db/migrations.list)
string(REPLACE ";" "\n" keel_migration_lines "${keel_migration_files}")
file(CONFIGURE OUTPUT ${keel_migrations_manifest} CONTENT "${keel_migration_lines}\n")
add_custom_command(
  OUTPUT ${keel_migrations_cpp}
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DOUTPUT=${keel_migrations_cpp}
          -P ${CMAKE_SOURCE_DIR}/cmake/embed_migrations.cmake
  DEPENDS ${keel_migration_files} ${keel_migrations_manifest} ${CMAKE_SOURCE_DIR}/cmake/embed_migrations.cmake
  COMMENT "Embedding SQL migrations"
  VERBATIM)
target_sources(keel_db PRIVATE ${keel_migrations_cpp})
