# Locates Arrow C++ (arrow, flight, parquet, compute, dataset, acero, s3) inside the pinned pyarrow wheel
# installed in the project's virtualenv, and exposes imported targets:
#   Arrow::arrow Arrow::compute Arrow::flight Arrow::parquet Arrow::dataset Arrow::acero Arrow::s3
#
# Input:  MOSAICO_PYTHON  python interpreter of the venv that holds pyarrow (default: <root>/.venv/bin/python)
# Output: ARROW_PYARROW_LIBDIR (used for the RPATH so binaries run without LD_LIBRARY_PATH)
#
# The wheel ships its own gRPC/protobuf/abseil inside libarrow_flight; never link Debian's copies next to it.

if(NOT MOSAICO_PYTHON)
  set(MOSAICO_PYTHON "${CMAKE_SOURCE_DIR}/.venv/bin/python")
endif()
if(NOT EXISTS "${MOSAICO_PYTHON}")
  message(FATAL_ERROR "No python at ${MOSAICO_PYTHON}: run scripts/setup.sh first (it creates .venv with pyarrow).")
endif()

execute_process(
  COMMAND "${MOSAICO_PYTHON}" -c "import pyarrow as pa; print(pa.get_include()); print(pa.get_library_dirs()[0]); print(pa.__version__)"
  OUTPUT_VARIABLE _pa_out RESULT_VARIABLE _pa_rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _pa_rc EQUAL 0)
  message(FATAL_ERROR "pyarrow is not importable by ${MOSAICO_PYTHON}")
endif()
string(REPLACE "\n" ";" _pa_lines "${_pa_out}")
list(GET _pa_lines 0 ARROW_PYARROW_INCLUDE)
list(GET _pa_lines 1 ARROW_PYARROW_LIBDIR)
list(GET _pa_lines 2 ARROW_PYARROW_VERSION)
message(STATUS "Arrow C++ from pyarrow ${ARROW_PYARROW_VERSION}: ${ARROW_PYARROW_LIBDIR}")

function(_mosaico_arrow_lib target libname)
  find_library(_lib_${libname} NAMES ${libname} PATHS "${ARROW_PYARROW_LIBDIR}" NO_DEFAULT_PATH)
  if(NOT _lib_${libname})
    message(FATAL_ERROR "lib${libname}.so not found in ${ARROW_PYARROW_LIBDIR} (pyarrow.create_library_symlinks() not run?)")
  endif()
  add_library(${target} SHARED IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${_lib_${libname}}"
    INTERFACE_INCLUDE_DIRECTORIES "${ARROW_PYARROW_INCLUDE}"
    INTERFACE_COMPILE_DEFINITIONS "_GLIBCXX_USE_CXX11_ABI=1")
endfunction()

_mosaico_arrow_lib(Arrow::arrow   arrow)
_mosaico_arrow_lib(Arrow::compute arrow_compute)
_mosaico_arrow_lib(Arrow::flight  arrow_flight)
_mosaico_arrow_lib(Arrow::parquet parquet)
_mosaico_arrow_lib(Arrow::dataset arrow_dataset)
_mosaico_arrow_lib(Arrow::acero   arrow_acero)
_mosaico_arrow_lib(Arrow::s3      arrow_s3)
