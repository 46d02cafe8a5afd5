import Testing
@testable import RemoteAdapter

@Suite struct SlotTableTests {
    /// Equal hashes (a collision) sit side by side; the caller's check picks the right slot.
    @Test func equalHashesAreAllFoundThroughTheCallersCheck() {
        var table = SlotTable()
        for slot in 0..<100 { table.insert(hash: 42 << 16, slot: slot) }
        for slot in 0..<100 { #expect(table.first(hash: 42 << 16) { $0 == slot } == slot) }
        #expect(table.first(hash: 42 << 16) { _ in false } == nil)
        #expect(table.first(hash: 43 << 16) { _ in true } == nil)
    }

    /// Growth and removal keep every live entry and forget the removed ones, however many
    /// inserts and removals happened.
    @Test func growthAndRemovalKeepExactlyTheLiveEntries() {
        var table = SlotTable()
        var live = [Int: Int]()  // slot -> hash
        var removed = [Int: Int]()
        var generator = SystemRandomNumberGenerator()
        for step in 0..<20_000 {
            if step % 3 == 2, let (slot, hash) = live.randomElement(using: &generator) {
                table.remove(hash: hash, slot: slot)
                live[slot] = nil
                removed[slot] = hash
            } else {
                let hash = Int.random(in: 0..<64, using: &generator) << 16 | 5  // many collisions
                table.insert(hash: hash, slot: step)
                live[step] = hash
            }
        }
        #expect(table.count == live.count)
        for (slot, hash) in live { #expect(table.first(hash: hash) { $0 == slot } == slot) }
        #expect(removed.count > 5_000)
        for (slot, hash) in removed { #expect(table.first(hash: hash) { $0 == slot } == nil) }
    }
}
