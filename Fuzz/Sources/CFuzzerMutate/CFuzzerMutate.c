// Declaration only: libFuzzer (linked by --sanitize fuzzer) defines LLVMFuzzerMutate.
#include "CFuzzerMutate.h"
