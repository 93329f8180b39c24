/* Callgrind client requests for benchmarks/instructions.py: start counting after set-up,
   zero the counters before a batch of requests and dump them, labelled, after it. Outside
   valgrind each request is a few no-op instructions. */
#include <valgrind/callgrind.h>

void marks_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void marks_zero(void) { CALLGRIND_ZERO_STATS; }
void marks_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
