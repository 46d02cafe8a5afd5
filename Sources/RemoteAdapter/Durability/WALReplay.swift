import Logging

/// Start-up replay of the write-ahead log segments a snapshot does not cover, into the store.
/// A bad frame (torn write, checksum mismatch, garbage, a record that does not decode) ends its
/// segment: the file is truncated at the last good record, with a log line and a counter, and
/// replay goes on with the next segment, whose records are independent of it. A sound record of
/// a kind this build does not know (a newer build wrote it; its frame's length and checksum are
/// good) is skipped with a warning, not cut off with everything after it: after a downgrade the
/// records around it still hold samples, and the file stays whole for the newer build.
enum WALReplay {
    struct Outcome: Equatable {
        var records = 0
        var samples = 0
        var truncations = 0
        var truncatedBytes = 0
        /// The newest segment index seen (0 if none).
        var lastSegment = 0
        /// Samples of series the series limit refused.
        var refusedSamples = 0
        /// Sound records of a kind this build does not know, skipped.
        var unknownRecords = 0
        /// Samples of sound records outside `SeriesStore.timestampBounds`, dropped.
        var outOfBoundsSamples = 0
    }

    /// A segment that cannot be opened or mapped (permissions, an I/O error, a directory of
    /// that name) stops the replay: skipped, its samples would be lost without a counter, and
    /// removed with the segments the next snapshot covers, lost for good.
    static func replay(_ directory: WALDirectory, after covered: Int, into store: SeriesStore, logger: Logger) throws(FileIOError) -> Outcome {
        var outcome = Outcome()
        let segments = directory.segments()
        for segment in segments {
            outcome.lastSegment = max(outcome.lastSegment, segment.index)
            guard segment.index > covered else { continue }
            let file = try MappedFile(path: segment.path)
            let (goodBytes, problem) = replaySegment(file.bytes, into: store, outcome: &outcome)
            guard let problem else { continue }
            let dropped = segment.size - goodBytes
            outcome.truncations += 1
            outcome.truncatedBytes += dropped
            // A crash tears only the newest segment's last write; damage in an older one is the
            // disk's or someone's, and what follows it there is lost, not merely unwritten.
            let message: Logger.Message = segment.index == segments.last?.index
                ? "write-ahead log segment has a torn or corrupt tail, as a crash leaves it; truncated at the last good record"
                : "write-ahead log segment is damaged before its end (not a crash's torn write: disk or file damage); the records after the damage are dropped, truncated at the last good record"
            logger.warning(message, metadata: [
                "segment": "\(segment.path)", "offset": "\(goodBytes)", "bytes_dropped": "\(dropped)", "reason": "\(problem)",
            ])
            do {
                try FileIO.truncate(segment.path, to: goodBytes)
            } catch {
                logger.error("cannot truncate write-ahead log segment; it is left as is and not appended to", metadata: ["error": "\(error)"])
            }
        }
        if outcome.unknownRecords > 0 {
            logger.warning("write-ahead log records of a kind this build does not know (written by a newer build) were skipped", metadata: [
                "records": "\(outcome.unknownRecords)",
            ])
        }
        return outcome
    }

    /// Replays the good records of one segment; returns how many bytes are good and, if the
    /// segment does not end cleanly, why.
    static func replaySegment(_ data: UnsafeRawBufferPointer, into store: SeriesStore, outcome: inout Outcome) -> (Int, String?) {
        let retention = store.settings.rawRetentionMs
        var offset = 0
        while true {
            switch WALFrame.scan(data, at: offset) {
            case .end:
                return (offset, nil)
            case .bad(let reason):
                return (offset, reason)
            case .frame(let payload):
                // Decode the whole record before storing any of it, so a record that passed its
                // checksum but does not decode (a bug, a foreign file) is all or nothing.
                let bytes = UnsafeRawBufferPointer(rebasing: data[payload])
                if let kind = bytes.first, kind != WALRecordBuilder.samplesKind {
                    outcome.unknownRecords += 1
                    offset = payload.upperBound
                    continue
                }
                do {
                    try WALRecordReader.forEachSeries(bytes) { _, _, _ in }
                } catch {
                    return (offset, "record does not decode: \(error)")
                }
                try? WALRecordReader.forEachSeries(bytes) { labels, type, logged in
                    // Ingestion refuses such samples, so only a buggy or another build logged
                    // them; stored, they would overflow the step arithmetic and make every later
                    // snapshot unreadable. Dropped before the series is looked up, so none is
                    // created without samples (its age would be measured from Int64.min).
                    let bounds = SeriesStore.timestampBounds
                    let samples = logged.allSatisfy({ bounds.contains($0.timestamp) }) ? logged : logged.filter { bounds.contains($0.timestamp) }
                    outcome.outOfBoundsSamples += logged.count - samples.count
                    guard !samples.isEmpty else { return }
                    let stored = store.withSeries(labels: labels) { s in
                        if s.metricType == nil, let type { s.metricType = type }
                        s.replay(samples, retentionMs: retention)
                    }
                    if stored == nil { outcome.refusedSamples += samples.count }
                    outcome.samples += samples.count
                }
                outcome.records += 1
                offset = payload.upperBound
            }
        }
    }
}
