# slate_embed_sql(<prefix> <dir> <out-var>)
# Turns <dir>/NNNN_<name>.up.sql (and the optional matching .down.sql) into a
# generated C file defining
#   const slate_migration <prefix>_migrations[];
#   const uint32_t <prefix>_n_migrations;
# and <prefix>_migrations.h beside it with <PREFIX>_N_MIGRATIONS, a
# constant a plugin's static descriptor can use.
# so migrations travel inside the binary that owns them and their checksum is
# taken over exactly the text that runs.
function(slate_embed_sql prefix dir outvar)
  get_filename_component(dir "${dir}" ABSOLUTE)
  file(GLOB sqls CONFIGURE_DEPENDS "${dir}/*.sql")
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${prefix}_migrations.c")
  add_custom_command(
    OUTPUT "${out}" "${CMAKE_CURRENT_BINARY_DIR}/${prefix}_migrations.h"
    COMMAND ${CMAKE_COMMAND} -DPREFIX=${prefix} -DDIR=${dir} -DOUT=${out}
            -P "${CMAKE_SOURCE_DIR}/cmake/embed_sql.cmake"
    DEPENDS ${sqls} "${CMAKE_SOURCE_DIR}/cmake/embed_sql.cmake"
    COMMENT "Embedding migrations of ${prefix}")
  set(${outvar} "${out}" PARENT_SCOPE)
endfunction()
