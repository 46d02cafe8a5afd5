#include "prescient_arena.h"
#include <stdlib.h>
#include <stdint.h>

// Under AddressSanitizer (the fuzz build) free block space is poisoned and every allocation is
// followed by a poisoned red zone, so a read or write past one protobuf-c object into the next is
// reported as it would be with malloc. Without ASan these are no-ops and REDZONE is 0.
#if defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define PRESCIENT_ASAN 1
#  endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#  define PRESCIENT_ASAN 1
#endif
#ifdef PRESCIENT_ASAN
#  include <sanitizer/asan_interface.h>
#  define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#  define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
enum { REDZONE = 16 };
#else
#  define POISON(p, n) ((void)(p), (void)(n))
#  define UNPOISON(p, n) ((void)(p), (void)(n))
enum { REDZONE = 0 };
#endif

typedef struct Block {
    struct Block *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
} Block;

struct PrescientArena {
    ProtobufCAllocator allocator; // first, so the allocator_data pointer is the arena itself
    Block *head;
    size_t reserved;
    size_t limit;
    int refused; // an allocation failed on the limit since the last reset
};

enum { FIRST_BLOCK = 256 * 1024 };

static Block *new_block(PrescientArena *a, size_t at_least) {
    size_t size = a->head ? a->head->size * 2 : FIRST_BLOCK;
    if (size < at_least) size = at_least;
    if (a->reserved + size > a->limit) {
        if (a->reserved + at_least > a->limit) {
            a->refused = 1;
            return NULL;
        }
        size = at_least;
    }
    Block *b = malloc(sizeof(Block) + size);
    if (!b) return NULL;
    b->size = size;
    b->used = 0;
    POISON(b->data, size);
    b->next = a->head;
    a->head = b;
    a->reserved += size;
    return b;
}

static void *arena_alloc(void *data, size_t size) {
    PrescientArena *a = data;
    // protobuf-c sizes come from counts in the message, bounded by its length; refuse anything
    // whose rounding would wrap rather than hand out a short block.
    if (size > a->limit) {
        a->refused = 1;
        return NULL;
    }
    size_t requested = size;
    size = ((size + 15) & ~(size_t)15) + REDZONE;
    Block *b = a->head;
    if (!b || b->size - b->used < size) {
        b = new_block(a, size);
        if (!b) return NULL;
    }
    void *p = b->data + b->used;
    b->used += size;
    UNPOISON(p, requested);
    return p;
}

static void arena_free(void *data, void *pointer) {
    (void)data;
    (void)pointer; // released all at once by prescient_arena_reset
}

PrescientArena *prescient_arena_create(size_t limit) {
    PrescientArena *a = calloc(1, sizeof(PrescientArena));
    if (!a) return NULL;
    a->allocator.alloc = arena_alloc;
    a->allocator.free = arena_free;
    a->allocator.allocator_data = a;
    a->limit = limit;
    return a;
}

void prescient_arena_reset(PrescientArena *a) {
    a->refused = 0;
    // Keep the largest (newest) block, free the rest.
    Block *keep = a->head;
    if (!keep) return;
    Block *b = keep->next;
    while (b) {
        Block *next = b->next;
        a->reserved -= b->size;
        UNPOISON(b->data, b->size);
        free(b);
        b = next;
    }
    keep->next = NULL;
    keep->used = 0;
    POISON(keep->data, keep->size);
}

void prescient_arena_destroy(PrescientArena *a) {
    if (!a) return;
    Block *b = a->head;
    while (b) {
        Block *next = b->next;
        UNPOISON(b->data, b->size);
        free(b);
        b = next;
    }
    free(a);
}

void prescient_arena_set_limit(PrescientArena *a, size_t limit) { a->limit = limit; }
ProtobufCAllocator *prescient_arena_allocator(PrescientArena *a) { return &a->allocator; }
size_t prescient_arena_reserved(const PrescientArena *a) { return a->reserved; }
int prescient_arena_refused(const PrescientArena *a) { return a->refused; }
