
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/core/arena.c" "core/CMakeFiles/slatecore.dir/arena.c.o" "gcc" "core/CMakeFiles/slatecore.dir/arena.c.o.d"
  "/work/main/core/audit.c" "core/CMakeFiles/slatecore.dir/audit.c.o" "gcc" "core/CMakeFiles/slatecore.dir/audit.c.o.d"
  "/work/main/core/buf.c" "core/CMakeFiles/slatecore.dir/buf.c.o" "gcc" "core/CMakeFiles/slatecore.dir/buf.c.o.d"
  "/work/main/core/config.c" "core/CMakeFiles/slatecore.dir/config.c.o" "gcc" "core/CMakeFiles/slatecore.dir/config.c.o.d"
  "/work/main/core/core.c" "core/CMakeFiles/slatecore.dir/core.c.o" "gcc" "core/CMakeFiles/slatecore.dir/core.c.o.d"
  "/work/main/core/core_entities.c" "core/CMakeFiles/slatecore.dir/core_entities.c.o" "gcc" "core/CMakeFiles/slatecore.dir/core_entities.c.o.d"
  "/work/main/core/db_cluster.c" "core/CMakeFiles/slatecore.dir/db_cluster.c.o" "gcc" "core/CMakeFiles/slatecore.dir/db_cluster.c.o.d"
  "/work/main/core/db_pool.c" "core/CMakeFiles/slatecore.dir/db_pool.c.o" "gcc" "core/CMakeFiles/slatecore.dir/db_pool.c.o.d"
  "/work/main/core/entity.c" "core/CMakeFiles/slatecore.dir/entity.c.o" "gcc" "core/CMakeFiles/slatecore.dir/entity.c.o.d"
  "/work/main/core/host_api.c" "core/CMakeFiles/slatecore.dir/host_api.c.o" "gcc" "core/CMakeFiles/slatecore.dir/host_api.c.o.d"
  "/work/main/core/http_server.c" "core/CMakeFiles/slatecore.dir/http_server.c.o" "gcc" "core/CMakeFiles/slatecore.dir/http_server.c.o.d"
  "/work/main/core/json_body.c" "core/CMakeFiles/slatecore.dir/json_body.c.o" "gcc" "core/CMakeFiles/slatecore.dir/json_body.c.o.d"
  "/work/main/core/log.c" "core/CMakeFiles/slatecore.dir/log.c.o" "gcc" "core/CMakeFiles/slatecore.dir/log.c.o.d"
  "/work/main/core/migrate.c" "core/CMakeFiles/slatecore.dir/migrate.c.o" "gcc" "core/CMakeFiles/slatecore.dir/migrate.c.o.d"
  "/work/main/core/plugin_loader.c" "core/CMakeFiles/slatecore.dir/plugin_loader.c.o" "gcc" "core/CMakeFiles/slatecore.dir/plugin_loader.c.o.d"
  "/work/main/core/request.c" "core/CMakeFiles/slatecore.dir/request.c.o" "gcc" "core/CMakeFiles/slatecore.dir/request.c.o.d"
  "/work/main/core/router.c" "core/CMakeFiles/slatecore.dir/router.c.o" "gcc" "core/CMakeFiles/slatecore.dir/router.c.o.d"
  "/work/main/build/core/slate_core_migrations.c" "core/CMakeFiles/slatecore.dir/slate_core_migrations.c.o" "gcc" "core/CMakeFiles/slatecore.dir/slate_core_migrations.c.o.d"
  "/work/main/core/util.c" "core/CMakeFiles/slatecore.dir/util.c.o" "gcc" "core/CMakeFiles/slatecore.dir/util.c.o.d"
  "/work/main/core/validate.c" "core/CMakeFiles/slatecore.dir/validate.c.o" "gcc" "core/CMakeFiles/slatecore.dir/validate.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
