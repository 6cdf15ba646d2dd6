# Installs acquire into a temporary prefix, then builds and runs the consumer project three times:
# through find_package(acquire CONFIG), through add_subdirectory, and with pkg-config (no CMake).
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code)
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "failed (${code}): ${ARGN}")
  endif()
endfunction()

run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/acquire -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    -DACQUIRE_BUILD_TESTS=OFF -DACQUIRE_BUILD_BENCHMARKS=OFF -DACQUIRE_BUILD_EXAMPLES=OFF
    -DACQUIRE_BUILD_PYTHON=OFF -DACQUIRE_INSTALL=ON -DCMAKE_INSTALL_PREFIX=${prefix})
run(${CMAKE_COMMAND} --install ${WORK_DIR}/acquire)

foreach(mode package subdirectory)
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/${mode}
      -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DACQUIRE_CONSUME=${mode}
      -DCMAKE_PREFIX_PATH=${prefix} -DACQUIRE_SOURCE_DIR=${SOURCE_DIR})
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/${mode})
  run(${WORK_DIR}/${mode}/consumer)
  # Built where MPI is found: run it on two ranks (as root in CI, which Open MPI must be told).
  if(EXISTS ${WORK_DIR}/${mode}/consumer_mpi)
    find_program(MPIEXEC NAMES mpiexec mpirun REQUIRED)
    set(ENV{OMPI_ALLOW_RUN_AS_ROOT} 1)
    set(ENV{OMPI_ALLOW_RUN_AS_ROOT_CONFIRM} 1)
    set(ENV{OMPI_MCA_btl_vader_single_copy_mechanism} none)
    execute_process(COMMAND ${MPIEXEC} --version OUTPUT_VARIABLE version ERROR_QUIET)
    set(oversubscribe "")
    if(version MATCHES "Open MPI|OpenRTE")
      set(oversubscribe --oversubscribe)
    endif()
    run(${MPIEXEC} -n 2 ${oversubscribe} ${WORK_DIR}/${mode}/consumer_mpi)
  endif()
endforeach()

# Outside CMake: compile the same program with the flags pkg-config gives for the installed
# acquire.pc (which pulls Eigen's through Requires: eigen3).
find_program(PKG_CONFIG_EXECUTABLE pkg-config)
if(NOT PKG_CONFIG_EXECUTABLE)
  message(FATAL_ERROR "pkg-config not found (apt-get install pkg-config)")
endif()
set(pc_env ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${prefix}/share/pkgconfig)
execute_process(COMMAND ${pc_env} ${PKG_CONFIG_EXECUTABLE} --cflags acquire
  OUTPUT_VARIABLE cflags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE code)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "pkg-config --cflags acquire failed (${code})")
endif()
if(NOT cflags MATCHES "${prefix}/share/pkgconfig/../../include")
  message(FATAL_ERROR "pkg-config --cflags acquire gave '${cflags}', not the install prefix ${prefix}")
endif()
message(STATUS "pkg-config --cflags acquire: ${cflags}")
separate_arguments(cflags UNIX_COMMAND "${cflags}")
run(${CXX_COMPILER} -std=c++17 -O1 ${cflags} ${SOURCE_DIR}/tests/consumer/main.cpp -o ${WORK_DIR}/pkgconfig-consumer)
run(${WORK_DIR}/pkgconfig-consumer)
