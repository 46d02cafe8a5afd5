#include <stddef.h>
#include <stdint.h>

/// libFuzzer's own mutator (it uses -dict entries too), for use inside LLVMFuzzerCustomMutator.
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
