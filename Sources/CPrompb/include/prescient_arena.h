#ifndef PRESCIENT_ARENA_H
#define PRESCIENT_ARENA_H
// A bump allocator for protobuf-c's unpack. A decoded WriteRequest is thousands of tiny
// allocations (every label string, every sample struct) that all die together when the request
// is done; with the arena they cost a pointer bump each and are released by one reset.
#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

typedef struct PrescientArena PrescientArena;

/// Creates an arena that refuses to hold more than `limit` bytes in all (unpack then fails
/// cleanly instead of letting a hostile message multiply into gigabytes of structs).
PrescientArena *prescient_arena_create(size_t limit);
void prescient_arena_destroy(PrescientArena *arena);
/// Forgets every allocation; keeps the first block for the next request.
void prescient_arena_reset(PrescientArena *arena);
void prescient_arena_set_limit(PrescientArena *arena, size_t limit);
ProtobufCAllocator *prescient_arena_allocator(PrescientArena *arena);
/// Bytes currently reserved from the system.
size_t prescient_arena_reserved(const PrescientArena *arena);
/// Whether an allocation was refused on the limit since the last reset: an unpack that failed
/// then failed for the message's size, not because it was malformed.
int prescient_arena_refused(const PrescientArena *arena);

#endif
