extension SeriesStore {
    /// Finds or creates the series with these labels (already canonical: they come from the
    /// write-ahead log or a snapshot, written from canonical labels) and changes it under its
    /// shard's lock. A series restored was acknowledged once, so neither `max_series`,
    /// `max_window_bytes` nor the label limits refuse it here: the limits apply to new series
    /// after start-up (the memory budget's estimate, which charges every series a full grid
    /// until the store is measured, would otherwise drop acknowledged series). Nil only for
    /// labels that are no longer valid.
    func withSeries<T>(labels: UnsafeBufferPointer<RawLabel>, _ body: (inout Series) -> T) -> (id: UInt32, result: T)? {
        let hash = SeriesKey.hash(of: labels)
        let shardIndex = hash & (Self.shardCount - 1)
        return shards[shardIndex].state.withLock { state -> (id: UInt32, result: T)? in
            var slot = Self.find(labels, hash: hash, in: &state)
            if slot == nil {
                guard case .success(let created) = createSeries(labels: labels, hash: hash, shardIndex: shardIndex, state: &state,
                                                                admission: .restoring) else {
                    return nil
                }
                slot = created
            }
            let result = body(&state.series[slot!]!)
            return (state.series[slot!]!.id, result)
        }
    }

    /// Metric types learnt from remote write 1.0 metadata, by metric family.
    func allMetricTypes() -> [String: MetricType] { metricTypes.withLock { $0 } }
}
