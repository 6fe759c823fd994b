# CTest driver of install_consumer: installs the built gpuplan into a fresh prefix, then configures,
# builds and runs tests/consumer against it (no network: every dependency is already on the system).
#   cmake -DBUILD_DIR=<gpuplan build> -DSOURCE_DIR=<tests/consumer> -DWORK_DIR=<scratch>
#         -DCXX=<compiler> -DGENERATOR=<generator> [-DLINK_FLAGS=<sanitizer flags>] -P run.cmake
foreach(var BUILD_DIR SOURCE_DIR WORK_DIR CXX GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run.cmake needs -D${var}=...")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(JOIN " " cmd ${ARGN})
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# Only the installed libraries' headers: gpuplan_sources is not installed, nor its headers.
if(EXISTS ${prefix}/include/gpuplan/sources)
  message(FATAL_ERROR "include/gpuplan/sources installed without the gpuplan_sources library")
endif()
file(GLOB_RECURSE config_files ${prefix}/*/gpuplanConfigVersion.cmake)
if(NOT config_files)
  message(FATAL_ERROR "gpuplanConfigVersion.cmake not installed")
endif()

run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR} -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
    "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
message(STATUS "${last_output}")
