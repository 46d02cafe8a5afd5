#ifndef PRESCIENT_CXXHASH_SHIM_H
#define PRESCIENT_CXXHASH_SHIM_H
#include <xxhash.h>
#endif
