# ctest client_find_package: installs the build's `client` component into WORK_DIR/prefix, then configures, builds
# and runs client/tests/consumer against it (find_package(mosaico_client CONFIG REQUIRED), target mosaico::client).
# -DBUILD_DIR=... -DSOURCE_DIR=<consumer dir> -DWORK_DIR=...
file(REMOVE_RECURSE "${WORK_DIR}")
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(LAST_OUTPUT "${out}" PARENT_SCOPE)
endfunction()
run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${WORK_DIR}/prefix" --component client)
run("${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${WORK_DIR}/build" -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix
    -DCMAKE_BUILD_TYPE=Release)
run("${CMAKE_COMMAND}" --build "${WORK_DIR}/build")
run("${WORK_DIR}/build/consumer")
if(NOT LAST_OUTPUT MATCHES "models=55" OR NOT LAST_OUTPUT MATCHES "IMU.acceleration.x" OR
   NOT LAST_OUTPUT MATCHES "connect: unavailable")
  message(FATAL_ERROR "unexpected consumer output:\n${LAST_OUTPUT}")
endif()
# The consumer loads the library and Arrow from the prefix, not from the build tree or the virtualenv.
execute_process(COMMAND ldd "${WORK_DIR}/build/consumer" OUTPUT_VARIABLE ldd_out)
if(NOT ldd_out MATCHES "${WORK_DIR}/prefix/lib/libmosaico_client" OR NOT ldd_out MATCHES "${WORK_DIR}/prefix/lib/libarrow")
  message(FATAL_ERROR "the consumer does not load the prefix's libraries:\n${ldd_out}")
endif()
message(STATUS "consumer output: ${LAST_OUTPUT}")
file(REMOVE_RECURSE "${WORK_DIR}")
