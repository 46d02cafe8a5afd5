import Synchronization

/// Values reused across requests so their arrays keep their capacity (a fresh scanner or batch
/// per request paid for growing its buffers and for page faults every time). A value is taken
/// for one request and given back emptied; at most `maxPooled` are kept.
final class ReusePool<Value>: Sendable {
    // A pooled value is used by one request at a time and emptied before it is pooled again.
    private struct Free: @unchecked Sendable { var values: [Value] = [] }
    private let free = Mutex(Free())
    private let maxPooled: Int
    private let make: @Sendable () -> Value
    /// Empties a value given back; false lets it go instead (one grown far past the usual).
    private let empty: @Sendable (inout Value) -> Bool

    init(maxPooled: Int = 8, make: @escaping @Sendable () -> Value, empty: @escaping @Sendable (inout Value) -> Bool) {
        self.maxPooled = maxPooled
        self.make = make
        self.empty = empty
    }

    func take() -> Value {
        free.withLock { $0.values.popLast() } ?? make()
    }

    func give(_ value: Value) {
        var value = value
        guard empty(&value) else { return }
        free.withLock { [value] state in
            if state.values.count < maxPooled { state.values.append(value) }
        }
    }
}
