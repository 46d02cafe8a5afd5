/* Header-only (heap_trim.h); a C target needs one source file. */
#include "heap_trim.h"
