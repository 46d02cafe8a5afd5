#include "prescient_arena.h"
#include <stdlib.h>
#include <stdint.h>

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
};

enum { FIRST_BLOCK = 256 * 1024 };

static Block *new_block(PrescientArena *a, size_t at_least) {
    size_t size = a->head ? a->head->size * 2 : FIRST_BLOCK;
    if (size < at_least) size = at_least;
    if (a->reserved + size > a->limit) {
        if (a->reserved + at_least > a->limit) return NULL;
        size = at_least;
    }
    Block *b = malloc(sizeof(Block) + size);
    if (!b) return NULL;
    b->size = size;
    b->used = 0;
    b->next = a->head;
    a->head = b;
    a->reserved += size;
    return b;
}

static void *arena_alloc(void *data, size_t size) {
    PrescientArena *a = data;
    size = (size + 15) & ~(size_t)15;
    Block *b = a->head;
    if (!b || b->size - b->used < size) {
        b = new_block(a, size);
        if (!b) return NULL;
    }
    void *p = b->data + b->used;
    b->used += size;
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
    // Keep the largest (newest) block, free the rest.
    Block *keep = a->head;
    if (!keep) return;
    Block *b = keep->next;
    while (b) {
        Block *next = b->next;
        a->reserved -= b->size;
        free(b);
        b = next;
    }
    keep->next = NULL;
    keep->used = 0;
}

void prescient_arena_destroy(PrescientArena *a) {
    if (!a) return;
    Block *b = a->head;
    while (b) {
        Block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}

void prescient_arena_set_limit(PrescientArena *a, size_t limit) { a->limit = limit; }
ProtobufCAllocator *prescient_arena_allocator(PrescientArena *a) { return &a->allocator; }
size_t prescient_arena_reserved(const PrescientArena *a) { return a->reserved; }
