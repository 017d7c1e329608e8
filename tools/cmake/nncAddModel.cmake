# nnc_add_model: a model file as a CMake library target.
#
#   nnc_add_model(<name> MODEL <file.nn|file.mlir>
#                 [TARGET cpu|cuda] [TARGET_CPU <cpu>] [GPU_ARCH <sm_XY>]
#                 [THREADS <n>] [INSTRUMENT none|grad-stats] [SHARED]
#                 [OUTPUT_DIRECTORY <dir>] [OPTIONS <nnc compile flags>...])
#
# At build time, runs `nnc compile <file> --name <name>` into
# OUTPUT_DIRECTORY (default ${CMAKE_CURRENT_BINARY_DIR}/nnc/<name>), which
# gets lib<name>.a, lib<name>.so, <name>.h and <name>.pc. The library is
# rebuilt when the model file, anything it reads (nnc's --depfile) or nnc
# itself changes. Errors in the model appear in the build output in the
# clang format.
#
# Defines the imported target nnc::<name>: the static library (the shared
# one with SHARED), with the header directory and every link dependency
# attached (libm; libomp with THREADS > 1; libdl, which loads the CUDA driver,
# with TARGET cuda). <name> prefixes the C API (<name>_create, ...) and must
# be a C identifier.
#
# TARGET_CPU defaults to nnc's own default, the building machine's CPU
# ("native"); name an LLVM CPU (x86-64-v3, znver4, ...) for a library that
# runs elsewhere.

# Functions keep the policies in effect where they are defined: DEPFILE
# paths are taken as given (they are absolute).
if(POLICY CMP0116)
  cmake_policy(SET CMP0116 NEW)
endif()

function(nnc_add_model name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG
    "SHARED"
    "MODEL;TARGET;TARGET_CPU;GPU_ARCH;THREADS;INSTRUMENT;OUTPUT_DIRECTORY"
    "OPTIONS")
  set(fn "nnc_add_model(${name})")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${fn}: unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(ARG_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR
      "${fn}: no value after ${ARG_KEYWORDS_MISSING_VALUES}")
  endif()
  if(NOT name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "${fn}: the name must be a C identifier: it "
      "prefixes the model's C API (${name}_create, ...)")
  endif()
  if(TARGET nnc::${name})
    message(FATAL_ERROR "${fn}: nnc::${name} is already defined")
  endif()
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "${fn}: expects MODEL <file.nn|file.mlir>")
  endif()
  if(NOT DEFINED ARG_TARGET)
    set(ARG_TARGET cpu)
  elseif(NOT ARG_TARGET MATCHES "^(cpu|cuda)$")
    message(FATAL_ERROR
      "${fn}: TARGET must be cpu or cuda, not '${ARG_TARGET}'")
  endif()
  if(DEFINED ARG_THREADS AND NOT ARG_THREADS MATCHES "^[1-9][0-9]*$")
    message(FATAL_ERROR
      "${fn}: THREADS must be a positive integer, not '${ARG_THREADS}'")
  endif()
  if(DEFINED ARG_INSTRUMENT AND NOT ARG_INSTRUMENT MATCHES
                                "^(none|grad-stats)$")
    message(FATAL_ERROR "${fn}: INSTRUMENT must be none or grad-stats, "
      "not '${ARG_INSTRUMENT}'")
  endif()
  if(DEFINED ARG_GPU_ARCH AND NOT ARG_TARGET STREQUAL "cuda")
    message(FATAL_ERROR "${fn}: GPU_ARCH needs TARGET cuda")
  endif()

  get_filename_component(model "${ARG_MODEL}" ABSOLUTE
    BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${model}")
    message(FATAL_ERROR "${fn}: no model file '${model}'")
  endif()
  if(ARG_OUTPUT_DIRECTORY)
    get_filename_component(dir "${ARG_OUTPUT_DIRECTORY}" ABSOLUTE
      BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  else()
    set(dir "${CMAKE_CURRENT_BINARY_DIR}/nnc/${name}")
  endif()
  # Imported targets must name include directories that exist.
  file(MAKE_DIRECTORY "${dir}")

  set(outputs "${dir}/lib${name}.a" "${dir}/lib${name}.so" "${dir}/${name}.h"
    "${dir}/${name}.pc")
  set(depfile "${dir}/${name}.d")
  set(args compile "${model}" -o "${dir}" --name "${name}"
    --depfile "${depfile}" --target=${ARG_TARGET})
  # Each keyword given becomes its nnc flag: TARGET_CPU -> --target-cpu=...
  foreach(keyword TARGET_CPU GPU_ARCH THREADS INSTRUMENT)
    if(DEFINED ARG_${keyword})
      string(TOLOWER ${keyword} flag)
      string(REPLACE "_" "-" flag ${flag})
      list(APPEND args "--${flag}=${ARG_${keyword}}")
    endif()
  endforeach()
  list(APPEND args ${ARG_OPTIONS})

  # Ninja reads depfiles in every CMake version; Makefiles since 3.20.
  set(depfile_args)
  if(CMAKE_GENERATOR MATCHES "Ninja" OR
     (CMAKE_GENERATOR MATCHES "Makefiles" AND
      NOT CMAKE_VERSION VERSION_LESS 3.20))
    set(depfile_args DEPFILE "${depfile}")
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND nnc::nnc ${args}
    DEPENDS "${model}" "$<TARGET_FILE:nnc::nnc>"
    ${depfile_args}
    COMMENT "nnc: compiling model ${name} from ${ARG_MODEL}"
    VERBATIM)
  add_custom_target(nnc_generate_${name} DEPENDS ${outputs})

  set(link_libraries)
  if(ARG_SHARED)
    add_library(nnc::${name} SHARED IMPORTED GLOBAL)
    # The shared library records its own dependencies.
    set_target_properties(nnc::${name} PROPERTIES
      IMPORTED_LOCATION "${dir}/lib${name}.so"
      IMPORTED_SONAME "lib${name}.so")
  else()
    add_library(nnc::${name} STATIC IMPORTED GLOBAL)
    set_target_properties(nnc::${name} PROPERTIES
      IMPORTED_LOCATION "${dir}/lib${name}.a")
    list(APPEND link_libraries m)
    if(ARG_TARGET STREQUAL "cpu" AND DEFINED ARG_THREADS AND
       ARG_THREADS GREATER 1)
      list(APPEND link_libraries omp)
    endif()
    if(ARG_TARGET STREQUAL "cuda")
      list(APPEND link_libraries ${CMAKE_DL_LIBS})
    endif()
  endif()
  set_target_properties(nnc::${name} PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${dir}"
    INTERFACE_LINK_LIBRARIES "${link_libraries}")
  add_dependencies(nnc::${name} nnc_generate_${name})
endfunction()
