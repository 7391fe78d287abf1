# slate_add_plugin(<id> SOURCES ... [MIGRATIONS <dir>] [OUTPUT_DIR <dir>])
# Builds plugins/<id> as <id>.so with hidden visibility, exporting only
# slate_plugin_entry. With MIGRATIONS, the .sql files there are embedded and
# exposed as `<id>_migrations` with the count <ID>_N_MIGRATIONS in
# "<id>_migrations.h" (dashes become underscores; see SlateEmbedSql).
function(slate_add_plugin id)
  cmake_parse_arguments(P "" "MIGRATIONS;OUTPUT_DIR" "SOURCES" ${ARGN})
  set(target slate_plugin_${id})
  string(REPLACE "-" "_" cid "${id}")
  set(srcs ${P_SOURCES})
  if(P_MIGRATIONS)
    slate_embed_sql(${cid} "${P_MIGRATIONS}" gen)
    list(APPEND srcs ${gen})
  endif()
  add_library(${target} MODULE ${srcs})
  set_target_properties(${target} PROPERTIES
    PREFIX "" OUTPUT_NAME "${id}"
    C_VISIBILITY_PRESET hidden
    LIBRARY_OUTPUT_DIRECTORY "${P_OUTPUT_DIR}")
  if(NOT P_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY "${SLATE_PLUGIN_BUILD_DIR}")
  endif()
  target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR}/sdk/include
                             ${CMAKE_CURRENT_BINARY_DIR})
  target_link_libraries(${target} PRIVATE PkgConfig::JANSSON)
  target_link_options(${target} PRIVATE -Wl,-z,defs)
endfunction()
