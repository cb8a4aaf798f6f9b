# Project-wide compile settings, applied per target (no global flag soup).
add_library(aicq_settings INTERFACE)
add_library(aicq::settings ALIAS aicq_settings)
target_compile_options(aicq_settings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
# GCC 12 reports -Wrestrict false positives inside libstdc++'s std::string operator+ at -O2/-O3
# (GCC bug 105329, fixed in GCC 13); the warning is off for GCC 12 only.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(aicq_settings INTERFACE -Wno-restrict)
endif()
if(AICQ_WERROR)
  target_compile_options(aicq_settings INTERFACE -Werror)
endif()
if(AICQ_ENABLE_FUZZ)
  # Coverage instrumentation for libFuzzer in every project library; the fuzz executables link the runtime.
  target_compile_options(aicq_settings INTERFACE -fsanitize=fuzzer-no-link)
endif()
if(AICQ_SANITIZE)
  target_compile_options(aicq_settings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_link_options(aicq_settings INTERFACE -fsanitize=address,undefined)
endif()
