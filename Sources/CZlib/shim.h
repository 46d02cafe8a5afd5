#ifndef PRESCIENT_CZLIB_SHIM_H
#define PRESCIENT_CZLIB_SHIM_H
#include <zlib.h>
#endif
