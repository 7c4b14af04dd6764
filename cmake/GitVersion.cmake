# Generates ${CMAKE_BINARY_DIR}/generated/core/git_commit.h on every build, so
# `aif --version` and lineage always name the commit that was built (with a
# "-dirty" suffix for uncommitted changes). The header is rewritten only when
# the commit changes, so an unchanged tree does not recompile.
set(AIF_GENERATED_DIR ${CMAKE_BINARY_DIR}/generated)
file(MAKE_DIRECTORY ${AIF_GENERATED_DIR}/core)
add_custom_target(aif_git_commit
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR}
          -DOUT=${AIF_GENERATED_DIR}/core/git_commit.h
          -P ${CMAKE_SOURCE_DIR}/cmake/WriteGitCommit.cmake
  BYPRODUCTS ${AIF_GENERATED_DIR}/core/git_commit.h
  VERBATIM)
