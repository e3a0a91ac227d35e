# Warning flags for the project's own targets (not for third-party headers).
function(mosaico_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter -Wno-restrict)
endfunction()
