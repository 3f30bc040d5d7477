# Warnings and sanitizers for our own targets. Third-party headers come from /usr/include and are
# treated as system headers, so -Werror applies to our code only.

add_library(evbroker_options INTERFACE)
target_compile_options(evbroker_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wimplicit-fallthrough -Wmissing-declarations)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # g++ 12 at -O3 reports std::string concatenation as overlapping memcpy (GCC bug 105651).
  target_compile_options(evbroker_options INTERFACE -Wno-restrict)
endif()
if(EVBROKER_WERROR)
  target_compile_options(evbroker_options INTERFACE -Werror)
endif()

if(EVBROKER_SANITIZE)
  set(_san -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_compile_options(evbroker_options INTERFACE ${_san})
  target_link_options(evbroker_options INTERFACE ${_san})
endif()

# Link every target of ours against this to get the options above.
function(evbroker_defaults target)
  target_link_libraries(${target} PRIVATE evbroker_options)
endfunction()
