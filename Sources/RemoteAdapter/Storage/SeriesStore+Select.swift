extension SeriesStore {
    /// Ids of the series that satisfy every matcher, sorted, found through the inverted index.
    ///
    /// Matchers that cannot match the empty string each give the (sorted) union of the postings
    /// of the values they accept, and these are intersected; a matcher that does match the
    /// empty string also accepts series lacking its label, so it removes the series whose value
    /// it refuses rather than adding the ones it accepts. Hence every series is never listed.
    /// - Throws: `LabelMatcherError` when every matcher matches the empty string, as Prometheus
    ///   refuses such a selector.
    public func select(_ matchers: [LabelMatcher]) throws(LabelMatcherError) -> [UInt32] {
        try LabelMatcher.requireSelective(matchers)
        // Equality first: it is one lookup and usually the smallest set.
        let selective = matchers.filter { !$0.matchesEmpty }.sorted { ($0.kind == .equal ? 0 : 1) < ($1.kind == .equal ? 0 : 1) }
        var ids: [UInt32]?
        for m in selective {
            let accepted = m.kind == .equal ? seriesIDs(name: m.name, value: m.value) : seriesIDs(name: m.name, valueMatching: m.matches)
            ids = ids.map { Self.intersection($0, accepted) } ?? accepted
            if ids!.isEmpty { return [] }
        }
        var result = ids ?? []
        for m in matchers where m.matchesEmpty {
            let refused = seriesIDs(name: m.name) { !m.matches($0) }
            result = Self.subtracting(result, refused)
        }
        return result
    }

    /// Elements of both sorted lists.
    static func intersection(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        var out = [UInt32]()
        out.reserveCapacity(min(a.count, b.count))
        var i = 0, j = 0
        while i < a.count, j < b.count {
            if a[i] < b[j] { i += 1 } else if a[i] > b[j] { j += 1 } else {
                out.append(a[i])
                i += 1
                j += 1
            }
        }
        return out
    }

    /// Elements of sorted `a` not in sorted `b`.
    static func subtracting(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        guard !b.isEmpty else { return a }
        var out = [UInt32]()
        out.reserveCapacity(a.count)
        var j = 0
        for x in a {
            while j < b.count, b[j] < x { j += 1 }
            if j == b.count || b[j] != x { out.append(x) }
        }
        return out
    }
}
