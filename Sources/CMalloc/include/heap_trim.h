#ifndef PRESCIENT_HEAP_TRIM_H
#define PRESCIENT_HEAP_TRIM_H

/* glibc's malloc_trim, which Swift's Glibc module does not export (it lives in <malloc.h>).
 * Returns 1 if memory was handed back to the kernel, 0 if not or where there is no glibc. */
#include <stdlib.h> /* defines __GLIBC__ on glibc */
#if defined(__GLIBC__)
#include <malloc.h>
static inline int prescient_heap_trim(void) { return malloc_trim(0); }
#else
static inline int prescient_heap_trim(void) { return 0; }
#endif

#endif
