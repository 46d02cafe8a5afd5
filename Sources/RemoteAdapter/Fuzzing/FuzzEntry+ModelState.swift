import Foundation
import Models

/// The saved-model-state target: what a snapshot holds for a modelled series once its frame's
/// checksum has passed. A state from a buggy or newer build, or a file someone edited, must be
/// refused by the restore checks or carried on without trapping: it is read before the server
/// listens, so a trap there would keep the process from starting at all.
extension FuzzEntry {
    /// The target's settings: a 15-minute step and short windows, so states (and seeds) are a
    /// few KB. `FuzzSeedCorpus` makes its seeds under the same ones, which a state must match
    /// to be restored.
    static let modelStateConfig: PrescientConfig = {
        var config = PrescientConfig()
        config.storage.stepMs = 900_000
        config.storage.gridLength = 400
        config.modeling.stepDelayMs = 0
        config.modeling.rules[0].horizonsMs = [5 * 900_000, 15 * 900_000]
        config.modeling.refitIntervalMs = 100 * 900_000
        return config
    }()

    /// A store holding `steps` of a gauge with a cycle and noise and of a counter, and a
    /// modelling service over it that has run a pass every 50 steps when `passes` is set.
    static func modelStateService(steps: Int, passes: Bool) -> (SeriesStore, ModelingService) {
        let config = modelStateConfig
        let store = SeriesStore(settings: config.storage)
        let service = ModelingService(store: store, settings: config.modeling, storage: config.storage, nowMs: { 0 })
        for chunk in stride(from: 0, to: steps, by: 50) {
            let part = chunk..<min(chunk + 50, steps)
            feedModelStateHistory(store, steps: part)
            if passes { modelStatePass(service, at: part.upperBound - 1) }
        }
        return (store, service)
    }

    /// A saved state decoded, restored onto the target's gauge and counter (the one of its
    /// kind takes it, if it fits the configuration), then 20 more steps modelled with a pass
    /// on each. True when a series carried on from the state.
    public static func modelState(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let saved = try? ModelStateCoder.decode(SavedModel.self, from: bytes) else { return false }
        let (store, service) = modelStateService(steps: 300, passes: false)
        let step = modelStateConfig.storage.stepMs
        let models = Dictionary(uniqueKeysWithValues: store.allSeriesIDs().map { ($0, saved) })
        let restored = service.restore([:], models: models, nowMs: 299 * step).models
        for k in 300..<320 {
            feedModelStateHistory(store, steps: k..<k + 1)
            modelStatePass(service, at: k)
        }
        return restored == 1
    }

    private static func modelStatePass(_ service: ModelingService, at k: Int) {
        service.tick(nowMs: Int64(k) * modelStateConfig.storage.stepMs) { service.complete($0, result: $0.job.run(), seconds: 0) }
    }

    private static func feedModelStateHistory(_ store: SeriesStore, steps: Range<Int>) {
        let step = modelStateConfig.storage.stepMs
        var gauge = [WireSample](), counter = [WireSample]()
        for k in steps {
            let noise: Double = sin(Double(k) * 12.9898).truncatingRemainder(dividingBy: 1) * 2
            let cycle: Double = 10 * sin(2 * Double.pi * Double(k) / 96)
            gauge.append(WireSample(timestamp: Int64(k) * step, value: 100 + cycle + noise))
            counter.append(WireSample(timestamp: Int64(k) * step, value: Double(k * (k + 1) / 2) * 3))
        }
        _ = ingest([
            EncodableSeries(labels: [("__name__", "load"), ("host", "a")], samples: gauge),
            EncodableSeries(labels: [("__name__", "jobs_total"), ("host", "a")], samples: counter),
        ], into: store)
    }
}
