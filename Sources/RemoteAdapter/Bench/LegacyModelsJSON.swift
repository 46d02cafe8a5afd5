import Foundation

/// `/api/v1/models` as it was written before `JSONWriter` (to 2026-12-07): a `[String: Any]` tree
/// per series through Foundation's `JSONSerialization` with sorted keys. Kept only as the
/// baseline `prescient bench-exporter` measures the writer against in the same run.
enum LegacyModelsJSON {
    static func body(_ list: [ExportEntry]) -> Data {
        let data: [[String: Any]] = list.map { e in
            var d: [String: Any] = [
                "metric": e.labelDictionary, "model": e.model,
                "parameters": e.parameters.mapValues { JSONAPI.format($0) },
                "mase": Dictionary(zip(e.horizonNames, e.mase.map { JSONAPI.format($0) }), uniquingKeysWith: { a, _ in a }),
            ]
            if let r = e.lastRefitMs { d["last_refit"] = Double(r) / 1000 }
            return d
        }
        return (try? JSONSerialization.data(withJSONObject: ["status": "success", "data": data], options: [.sortedKeys])) ?? Data()
    }
}
