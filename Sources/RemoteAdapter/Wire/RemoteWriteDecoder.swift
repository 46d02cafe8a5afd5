import CPrompb
import Foundation

/// Which remote write protocol a request speaks.
public enum RemoteWriteVersion: Sendable, Equatable {
    case v1
    case v2
}

/// Prometheus' metric types as metadata carries them (same numbers in 1.0 and 2.0).
public enum MetricType: Int, Sendable {
    case unknown = 0, counter, gauge, histogram, gaugeHistogram, summary, info, stateSet
}

/// A label as bytes borrowed from the decoded message; valid only inside the visitor.
public struct RawLabel {
    public var name: UnsafeBufferPointer<UInt8>
    public var value: UnsafeBufferPointer<UInt8>
}

public struct WireSample: Sendable, Equatable {
    public var timestamp: Int64
    public var value: Double
    public init(timestamp: Int64, value: Double) {
        self.timestamp = timestamp
        self.value = value
    }
}

/// One series of a write request, borrowed from the decoder's buffers: no strings are made
/// unless the store sees a series for the first time.
public struct WriteSeriesView {
    /// In the order the sender gave (senders sort by name; the store checks).
    public var labels: UnsafeMutableBufferPointer<RawLabel>
    public var samples: UnsafeBufferPointer<WireSample>
    public var histogramCount: Int
    public var exemplarCount: Int
    public var metricType: MetricType?
    /// Set by the decoder when the series cannot be read (a 2.0 symbol reference out of range).
    public var malformed: String?
    /// The labels' bytes as they came on the wire, when they are one run of labels each in the
    /// shape `SeriesKey` uses (remote write 1.0 as Prometheus writes it): if they are also
    /// canonical as given, they are the series' key.
    public var wireLabels: UnsafeRawBufferPointer? = nil
}

/// Decodes remote write bodies (already snappy-decoded) with protobuf-c into an arena and walks
/// them series by series. Pure apart from the arena pool; errors carry their HTTP status.
public struct RemoteWriteDecoder: Sendable {
    private let arenas = ArenaPool()
    private let scanners = ReusePool(make: { WriteRequestV1Scanner() }, empty: { (scanner: inout WriteRequestV1Scanner) in
        scanner.reset()
        return true
    })

    public init() {}

    /// Parses `body` and calls `series` for every time series and `metadata` for every 1.0
    /// metadata entry (2.0 carries metadata on the series).
    public func decode(
        _ body: UnsafeRawBufferPointer,
        version: RemoteWriteVersion,
        series: (inout WriteSeriesView) -> Void,
        metadata: (String, MetricType) -> Void = { _, _ in }
    ) throws(WireError) {
        try decode(body, version: version, inPlace: true, series: series, metadata: metadata)
    }

    /// `inPlace: false` always unpacks with protobuf-c: the reference the in-place scanner is
    /// tested against.
    func decode(
        _ body: UnsafeRawBufferPointer,
        version: RemoteWriteVersion,
        inPlace: Bool,
        series: (inout WriteSeriesView) -> Void,
        metadata: (String, MetricType) -> Void
    ) throws(WireError) {
        if version == .v1, inPlace {
            let scanned = try scanners.withScanner { (scanner: inout WriteRequestV1Scanner) throws(WireError) -> Bool in
                guard try scanner.scan(body) == .scanned else { return false }
                scanner.visitSeries(series)
                return true
            }
            if scanned { return }
        }
        // protobuf-c structs are larger than their wire form; a bound well above any honest
        // message stops a hostile one from multiplying into gigabytes.
        let limit = max(1 << 20, body.count * 24)
        try arenas.withArena(limit: limit) { (arena) throws(WireError) in
            let allocator = prescient_arena_allocator(arena)
            let bytes = body.baseAddress?.assumingMemoryBound(to: UInt8.self)
            switch version {
            case .v1:
                guard let request = prometheus__write_request__unpack(allocator, body.count, bytes) else {
                    throw ArenaPool.unpackFailure(arena, message: "prometheus.WriteRequest", limit: limit)
                }
                Self.walkV1(request.pointee, series: series, metadata: metadata)
            case .v2:
                guard let request = io__prometheus__write__v2__request__unpack(allocator, body.count, bytes) else {
                    throw ArenaPool.unpackFailure(arena, message: "io.prometheus.write.v2.Request", limit: limit)
                }
                Self.walkV2(request.pointee, series: series)
            }
        }
    }

    /// Parses `body` once and walks it in two rounds: `check` gets the number of series and a
    /// walk over them it may run (to look without storing), and decides; then `series` sees every
    /// series with that decision, and `metadata` every 1.0 metadata entry. For admission control
    /// that must not store part of a request; one unpack instead of two.
    public func decode<Decision>(
        _ body: UnsafeRawBufferPointer,
        version: RemoteWriteVersion,
        check: (_ seriesCount: Int, _ walk: ((inout WriteSeriesView) -> Void) -> Void) throws(WireError) -> Decision,
        series: (Decision, inout WriteSeriesView) -> Void,
        metadata: (String, MetricType) -> Void = { _, _ in }
    ) throws(WireError) -> Decision {
        if version == .v1 {
            let scanned = try scanners.withScanner { (scanner: inout WriteRequestV1Scanner) throws(WireError) -> Decision? in
                guard try scanner.scan(body) == .scanned else { return nil }
                let decision = try check(scanner.series.count) { visit in scanner.visitSeries(visit) }
                scanner.visitSeries { series(decision, &$0) }
                return decision
            }
            if let scanned { return scanned }
        }
        let limit = max(1 << 20, body.count * 24)
        return try arenas.withArena(limit: limit) { (arena) throws(WireError) -> Decision in
            let allocator = prescient_arena_allocator(arena)
            let bytes = body.baseAddress?.assumingMemoryBound(to: UInt8.self)
            switch version {
            case .v1:
                guard let request = prometheus__write_request__unpack(allocator, body.count, bytes) else {
                    throw ArenaPool.unpackFailure(arena, message: "prometheus.WriteRequest", limit: limit)
                }
                let decision = try check(request.pointee.n_timeseries) { visit in Self.walkV1(request.pointee, series: visit, metadata: { _, _ in }) }
                Self.walkV1(request.pointee, series: { series(decision, &$0) }, metadata: metadata)
                return decision
            case .v2:
                guard let request = io__prometheus__write__v2__request__unpack(allocator, body.count, bytes) else {
                    throw ArenaPool.unpackFailure(arena, message: "io.prometheus.write.v2.Request", limit: limit)
                }
                let decision = try check(request.pointee.n_timeseries) { visit in Self.walkV2(request.pointee, series: visit) }
                Self.walkV2(request.pointee, series: { series(decision, &$0) })
                return decision
            }
        }
    }

    private static func walkV1(
        _ request: Prometheus__WriteRequest,
        series visit: (inout WriteSeriesView) -> Void,
        metadata: (String, MetricType) -> Void
    ) {
        var labels = [RawLabel]()
        var samples = [WireSample]()
        for i in 0..<request.n_timeseries {
            guard let ts = request.timeseries[i]?.pointee else { continue }
            labels.removeAll(keepingCapacity: true)
            samples.removeAll(keepingCapacity: true)
            for j in 0..<ts.n_labels {
                // Labels with an empty value are absent, as the in-place scanner reads them.
                guard let label = ts.labels[j]?.pointee, label.value.len > 0 else { continue }
                labels.append(RawLabel(name: label.name.bytes, value: label.value.bytes))
            }
            for j in 0..<ts.n_samples {
                guard let s = ts.samples[j]?.pointee else { continue }
                samples.append(WireSample(timestamp: s.timestamp, value: s.value))
            }
            labels.withUnsafeMutableBufferPointer { labelBuffer in
                samples.withUnsafeBufferPointer { sampleBuffer in
                    var view = WriteSeriesView(
                        labels: labelBuffer, samples: sampleBuffer,
                        histogramCount: ts.n_histograms, exemplarCount: ts.n_exemplars,
                        metricType: nil, malformed: nil)
                    visit(&view)
                }
            }
        }
        for i in 0..<request.n_metadata {
            guard let m = request.metadata[i]?.pointee, m.metric_family_name.len > 0 else { continue }
            metadata(m.metric_family_name.text, MetricType(rawValue: Int(m.type.rawValue)) ?? .unknown)
        }
    }

    private static func walkV2(_ request: Io__Prometheus__Write__V2__Request, series visit: (inout WriteSeriesView) -> Void) {
        let symbols = (0..<request.n_symbols).map { request.symbols[$0].bytes }
        var labels = [RawLabel]()
        var samples = [WireSample]()
        for i in 0..<request.n_timeseries {
            guard let ts = request.timeseries[i]?.pointee else { continue }
            labels.removeAll(keepingCapacity: true)
            samples.removeAll(keepingCapacity: true)
            var malformed: String?
            if ts.n_labels_refs % 2 != 0 {
                malformed = "odd number of label references (\(ts.n_labels_refs))"
            } else {
                var j = 0
                while j < ts.n_labels_refs {
                    let n = Int(ts.labels_refs[j]), v = Int(ts.labels_refs[j + 1])
                    guard n < symbols.count, v < symbols.count else {
                        malformed = "label reference \(max(n, v)) out of range of \(symbols.count) symbols"
                        break
                    }
                    if !symbols[v].isEmpty { labels.append(RawLabel(name: symbols[n], value: symbols[v])) }
                    j += 2
                }
            }
            for j in 0..<ts.n_samples {
                guard let s = ts.samples[j]?.pointee else { continue }
                samples.append(WireSample(timestamp: s.timestamp, value: s.value))
            }
            let type = ts.metadata.map { MetricType(rawValue: Int($0.pointee.type.rawValue)) ?? .unknown }
            labels.withUnsafeMutableBufferPointer { labelBuffer in
                samples.withUnsafeBufferPointer { sampleBuffer in
                    var view = WriteSeriesView(
                        labels: labelBuffer, samples: sampleBuffer,
                        histogramCount: ts.n_histograms, exemplarCount: ts.n_exemplars,
                        metricType: type, malformed: malformed)
                    visit(&view)
                }
            }
        }
    }
}
