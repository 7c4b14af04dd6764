# Third-party dependencies, all from Debian packages (scripts/setup.sh installs
# them) except CUDA, cuBLAS, cuDNN and NCCL, which come with the toolkit under
# /usr/local/cuda. Every dependency becomes an imported target here, once.

find_package(MPI REQUIRED COMPONENTS C)
# aif uses the C API from C++; keep the deprecated MPI C++ bindings out.
add_compile_definitions(OMPI_SKIP_MPICXX=1 MPICH_SKIP_MPICXX=1)

# The openmpi flavour of HDF5; never mix with the serial libhdf5-dev.
set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR "aif needs the parallel (openmpi) HDF5: apt-get install libhdf5-openmpi-dev, "
                      "and remove libhdf5-dev if it is installed")
endif()
if(NOT TARGET hdf5::hdf5)
  add_library(hdf5::hdf5 INTERFACE IMPORTED)
  target_include_directories(hdf5::hdf5 INTERFACE ${HDF5_C_INCLUDE_DIRS} ${HDF5_INCLUDE_DIRS})
  target_link_libraries(hdf5::hdf5 INTERFACE ${HDF5_C_LIBRARIES} ${HDF5_LIBRARIES})
  target_compile_definitions(hdf5::hdf5 INTERFACE ${HDF5_C_DEFINITIONS} ${HDF5_DEFINITIONS})
endif()

# Parallel HDF5's headers include <mpi.h>.
target_link_libraries(hdf5::hdf5 INTERFACE MPI::MPI_C)

find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)

if(AIF_WITH_CUDA)
  find_package(CUDAToolkit REQUIRED)
  set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)
  set(_aif_cuda_lib_hints ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_LIBRARY_ROOT}/lib
                          ${CUDAToolkit_LIBRARY_ROOT}/lib64 /usr/local/cuda/lib /usr/local/cuda/lib64)
  find_library(AIF_NCCL_LIBRARY nccl HINTS ${_aif_cuda_lib_hints} REQUIRED)
  find_path(AIF_NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} REQUIRED)
  find_library(AIF_CUDNN_LIBRARY cudnn HINTS ${_aif_cuda_lib_hints} REQUIRED)
  find_path(AIF_CUDNN_INCLUDE_DIR cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS} REQUIRED)
  add_library(aif::nccl SHARED IMPORTED)
  set_target_properties(aif::nccl PROPERTIES IMPORTED_LOCATION ${AIF_NCCL_LIBRARY}
                        INTERFACE_INCLUDE_DIRECTORIES ${AIF_NCCL_INCLUDE_DIR})
  add_library(aif::cudnn SHARED IMPORTED)
  set_target_properties(aif::cudnn PROPERTIES IMPORTED_LOCATION ${AIF_CUDNN_LIBRARY}
                        INTERFACE_INCLUDE_DIRECTORIES ${AIF_CUDNN_INCLUDE_DIR})
  message(STATUS "aif: NCCL ${AIF_NCCL_LIBRARY}, cuDNN ${AIF_CUDNN_LIBRARY}")
endif()
