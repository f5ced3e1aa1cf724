# airlock's build step for CMake firmware builds: after the firmware's ELF links, `airlock build`
# turns it into the product's update bundle (unsigned, dev-signed for eng builds) and signed
# provenance, and uploads them to the artifact store. Like Pigweed's GN template pw_update_bundle,
# the bundle is a build output with its inputs as dependencies, so it is rebuilt exactly when the
# firmware, the description or a key changes.
#
#   include(path/to/airlock/cmake/airlock.cmake)
#   airlock_add_bundle(<name>
#     TARGET <executable>            # the firmware whose ELF becomes target TARGET_NAME (default "app")
#     [TARGET_NAME <bundle-target>]
#     [TARGETS <bundle-target>=<executable>...]   # more targets from more executables
#     DESCRIPTION <product.json>     # the build description (product, board, version, rules)
#     BUILDER_KEY <key.pem>          # signs the provenance
#     [BUILDER_ID <uri>] [DEV_KEY <key.pem>] [ROOT <root.bin>]
#     [SBOM <sbom.json>]             # the firmware's SBOM (CycloneDX or SPDX JSON), over the description's
#     [OUTPUT_DIR <dir>]             # default: ${CMAKE_CURRENT_BINARY_DIR}/<name>
#     [STORE <dir>]                  # default: ${CMAKE_BINARY_DIR}/airlock-store
#     [LAST_RELEASED <n> | RELEASE_RECORD <file>])
#
# Outputs in OUTPUT_DIR: <product>-<version>.bundle, .dev.bundle (eng + DEV_KEY), .provenance.json
# and .build.json; the custom target <name> builds them (part of ALL). AIRLOCK_COMMAND may name the
# airlock command (a list: e.g. "node;/opt/airlock/bin/airlock.js"); by default the `airlock` on
# PATH, else this checkout's bin/airlock.js run with node.

cmake_minimum_required(VERSION 3.19) # string(JSON)

set(_AIRLOCK_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}")

function(_airlock_command out)
  if(AIRLOCK_COMMAND)
    set(${out} "${AIRLOCK_COMMAND}" PARENT_SCOPE)
    return()
  endif()
  find_program(AIRLOCK_EXECUTABLE airlock)
  if(AIRLOCK_EXECUTABLE)
    set(${out} "${AIRLOCK_EXECUTABLE}" PARENT_SCOPE)
    return()
  endif()
  find_program(AIRLOCK_NODE node)
  if(NOT AIRLOCK_NODE OR NOT EXISTS "${_AIRLOCK_CMAKE_DIR}/../bin/airlock.js")
    message(FATAL_ERROR "airlock_add_bundle: no `airlock` command on PATH and no node to run ${_AIRLOCK_CMAKE_DIR}/../bin/airlock.js; install airlock (npm ci in its checkout) or set AIRLOCK_COMMAND")
  endif()
  set(${out} "${AIRLOCK_NODE};${_AIRLOCK_CMAKE_DIR}/../bin/airlock.js" PARENT_SCOPE)
endfunction()

function(airlock_add_bundle name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG ""
    "TARGET;TARGET_NAME;DESCRIPTION;BUILDER_KEY;BUILDER_ID;DEV_KEY;ROOT;SBOM;OUTPUT_DIR;STORE;LAST_RELEASED;RELEASE_RECORD"
    "TARGETS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "airlock_add_bundle(${name}): unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  foreach(required DESCRIPTION BUILDER_KEY)
    if(NOT ARG_${required})
      message(FATAL_ERROR "airlock_add_bundle(${name}): ${required} is required")
    endif()
  endforeach()
  if(NOT ARG_TARGET AND NOT ARG_TARGETS)
    message(FATAL_ERROR "airlock_add_bundle(${name}): give TARGET <executable> or TARGETS <name>=<executable>...")
  endif()
  if(NOT ARG_TARGET_NAME)
    set(ARG_TARGET_NAME app)
  endif()
  if(NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}/${name}")
  endif()
  if(NOT ARG_STORE)
    set(ARG_STORE "${CMAKE_BINARY_DIR}/airlock-store")
  endif()
  get_filename_component(description "${ARG_DESCRIPTION}" ABSOLUTE)

  # The output names come from the description (<product>-<targetsVersion>), read at configure
  # time; editing the description re-runs the configure step.
  file(READ "${description}" json)
  foreach(field product targetsVersion buildType)
    string(JSON ${field} ERROR_VARIABLE json_error GET "${json}" ${field})
    if(json_error)
      message(FATAL_ERROR "airlock_add_bundle(${name}): ${description}: ${json_error} (README.md, \"Build descriptions\", describes the file)")
    endif()
  endforeach()
  set(version "${targetsVersion}")
  set(build_type "${buildType}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${description}")
  set(stem "${ARG_OUTPUT_DIR}/${product}-${version}")

  set(command_args "${description}" --out-dir "${ARG_OUTPUT_DIR}" --store "${ARG_STORE}")
  set(depends "${description}")
  set(pairs ${ARG_TARGETS})
  if(ARG_TARGET)
    list(PREPEND pairs "${ARG_TARGET_NAME}=${ARG_TARGET}")
  endif()
  foreach(pair IN LISTS pairs)
    string(FIND "${pair}" "=" at)
    if(at LESS 1)
      message(FATAL_ERROR "airlock_add_bundle(${name}): TARGETS ${pair}: expected <bundle-target>=<executable>")
    endif()
    string(SUBSTRING "${pair}" 0 ${at} bundle_target)
    math(EXPR after "${at} + 1")
    string(SUBSTRING "${pair}" ${after} -1 executable)
    list(APPEND command_args --target "${bundle_target}=$<TARGET_FILE:${executable}>")
    list(APPEND depends ${executable})
  endforeach()
  foreach(file_option BUILDER_KEY DEV_KEY ROOT SBOM RELEASE_RECORD)
    if(ARG_${file_option})
      get_filename_component(path "${ARG_${file_option}}" ABSOLUTE)
      string(TOLOWER "${file_option}" flag)
      string(REPLACE "_" "-" flag "${flag}")
      list(APPEND command_args "--${flag}" "${path}")
      list(APPEND depends "${path}")
    endif()
  endforeach()
  if(ARG_BUILDER_ID)
    list(APPEND command_args --builder-id "${ARG_BUILDER_ID}")
  endif()
  if(DEFINED ARG_LAST_RELEASED)
    list(APPEND command_args --last-released "${ARG_LAST_RELEASED}")
  endif()

  set(outputs "${stem}.bundle" "${stem}.provenance.json" "${stem}.build.json")
  if(ARG_DEV_KEY AND build_type STREQUAL "eng")
    list(APPEND outputs "${stem}.dev.bundle")
  endif()
  _airlock_command(airlock)
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${airlock} build ${command_args}
    DEPENDS ${depends}
    COMMENT "airlock build ${product} targets version ${version} (${build_type})"
    VERBATIM)
  add_custom_target(${name} ALL DEPENDS ${outputs})
  set_target_properties(${name} PROPERTIES AIRLOCK_BUNDLE "${stem}.bundle" AIRLOCK_PROVENANCE "${stem}.provenance.json")
endfunction()
