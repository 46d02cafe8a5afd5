import Foundation
@testable import RemoteAdapter

/// Ingests series as a request would, collecting the write-ahead log record of what was stored.
@discardableResult
func journaled(_ store: SeriesStore, _ batch: [EncodableSeries]) throws -> (report: IngestReport, record: [UInt8]) {
    let body = RemoteWriteEncoder.v1(batch)
    var report = IngestReport()
    let journal = WALRecordBuilder()
    try body.withUnsafeBytes { raw in
        Result { () throws(WireError) in
            try RemoteWriteDecoder().decode(raw, version: .v1, series: { store.ingest(&$0, report: &report, journal: journal) })
        }
    }.get()
    return (report, journal.finish())
}

/// Every series' raw samples, keyed by its label text, as the store holds them now.
func storeContents(_ store: SeriesStore) -> [String: [WireSample]] {
    var out = [String: [WireSample]]()
    for id in store.allSeriesIDs() {
        guard let s = store.snapshot(id: id) else { continue }
        out[SeriesStore.describe(s.labels)] = zip(s.rawTimestamps, s.rawValues).map { WireSample(timestamp: $0, value: $1) }
    }
    return out
}

/// A fresh data directory under the system's temporary directory.
func temporaryDataDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("prescient-durability-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir + "/wal", withIntermediateDirectories: true)
    return dir
}

/// Series `durable_<i>{job="wal"}` with `count` samples each, starting at `start` ms, 1 s apart.
func walBatch(series: Range<Int>, start: Int64, count: Int, name: String = "durable") -> [EncodableSeries] {
    series.map { i in
        RemoteAdapterTests.series("\(name)_\(i % 7)", ["job": "wal", "instance": "i\(i)"],
                                  (0..<count).map { k in (start + Int64(k) * 1_000, Double(i * 1_000 + k) + 0.5) })
    }
}
