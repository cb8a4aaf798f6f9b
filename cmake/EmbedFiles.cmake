# aicq_embed_files(TARGET <name> BASE_DIR <dir> FILES <relative paths...>)
# Generates, at build time, a C++ source in the build tree holding each file's bytes, keyed by its path
# relative to BASE_DIR, and adds it to TARGET. The source tree is never written to.
set(AICQ_EMBED_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/EmbedFilesScript.cmake")

function(aicq_embed_files)
  cmake_parse_arguments(ARG "" "TARGET;BASE_DIR;NAME" "FILES" ${ARGN})
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.cpp")
  set(abs_files "")
  foreach(f IN LISTS ARG_FILES)
    list(APPEND abs_files "${ARG_BASE_DIR}/${f}")
  endforeach()
  string(REPLACE ";" "|" files_arg "${ARG_FILES}")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DBASE_DIR=${ARG_BASE_DIR} "-DFILES=${files_arg}" -DOUT=${out}
            -DNAME=${ARG_NAME} -P "${AICQ_EMBED_SCRIPT}"
    DEPENDS ${abs_files} "${AICQ_EMBED_SCRIPT}"
    COMMENT "Embedding ${ARG_NAME}"
    VERBATIM)
  target_sources(${ARG_TARGET} PRIVATE "${out}")
endfunction()
