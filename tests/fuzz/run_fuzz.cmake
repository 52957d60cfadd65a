# One short fuzzing run for CTest (tests/fuzz/CMakeLists.txt): the target over its seed corpus
# (read only) plus SECONDS of mutations with a fixed seed. New inputs and crash artifacts go to
# WORK, emptied first so every run starts from the committed seeds alone.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/new ${WORK}/artifacts)
set(ENV{ASAN_OPTIONS} "detect_leaks=1:abort_on_error=0")
set(ENV{UBSAN_OPTIONS} "print_stacktrace=1:halt_on_error=1")
execute_process(
  COMMAND ${BIN} -seed=1 -max_total_time=${SECONDS} -timeout=30 -rss_limit_mb=2048
          -print_final_stats=1 -artifact_prefix=${WORK}/artifacts/
          ${WORK}/new ${CORPUS}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(GLOB artifacts ${WORK}/artifacts/*)
  message(FATAL_ERROR "${BIN} failed (${rc}); reproducer(s): ${artifacts}")
endif()
