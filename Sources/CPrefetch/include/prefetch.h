#ifndef PRESCIENT_PREFETCH_H
#define PRESCIENT_PREFETCH_H

/* A software prefetch, which Swift has no spelling for. Ingest looks up thousands of series per
 * request in tables far larger than the cache; asking for the next ones' cache lines while the
 * current one is stored overlaps the memory waits instead of taking them one after another. */
static inline void prescient_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
