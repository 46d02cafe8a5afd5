/// How often each series' scheduled refit comes round: `refit_interval`, made up to a tenth
/// longer or shorter by the series' own labels.
///
/// Why: series that arrive together (every series when Prescient starts beside a running
/// Prometheus) reach each refit together, and with one interval for all they stay in step for
/// ever. Once a day the whole population's refits then queue at once, each holding a copy of
/// its window: 100k series of 2,016 steps hold 1.6 GB, and at the measured 9.6 refits a second
/// per core they wait for hours, past `PrescientRefitsFallingBehind`'s 30 minutes, every day.
/// Spread over a fifth of the interval (about 5 hours of a day) they come due at about 6 a
/// second. The spread is fixed per series, from a hash of its labels rather than Swift's
/// per-process seeded `Hasher`, so a restart or a reload keeps each series' cadence; and each
/// series' own interval stays the same, so its refits do not jitter.
enum RefitSchedule {
    /// The largest share by which a series' interval differs from `refit_interval`.
    static let spread = 0.1

    /// Model steps between the scheduled refits of the series with `labels`: at least 1.
    static func steps(intervalMs: Int64, stepMs: Int64, labels: [String]) -> Int {
        let base = Double(max(1, intervalMs / max(1, stepMs)))
        let factor = 1 - spread + 2 * spread * unitFraction(labels)
        return max(1, Int((base * factor).rounded()))
    }

    /// A number in [0, 1) fixed by `labels`: FNV-1a over their bytes, each label ended by a
    /// byte no UTF-8 text holds (so ["ab", "c"] and ["a", "bc"] differ), then mixed.
    static func unitFraction(_ labels: [String]) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for label in labels {
            for byte in label.utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
            hash = (hash ^ 0xff) &* 0x0000_0100_0000_01b3
        }
        // FNV-1a leaves labels that differ in one late byte close together; MurmurHash3's
        // finaliser spreads them over the whole range before the top 53 bits make the fraction.
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash &*= 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return Double(hash >> 11) / Double(UInt64(1) << 53)
    }
}
