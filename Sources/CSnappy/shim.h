#ifndef PRESCIENT_CSNAPPY_SHIM_H
#define PRESCIENT_CSNAPPY_SHIM_H
#include <snappy-c.h>
#endif
