extension TrendSeasonal {
    /// A fitted trend + seasonality model and its streaming state. Coefficients are kept in
    /// the scaled units the regression was solved in (`(y − center) / scale`, time in windows).
    public struct Fitted: Sendable, Codable {
        let features: TrendSeasonalFeatures
        let coefficients: [Double]
        let center: Double
        let scale: Double
        /// Residual level correction, advanced by `update`.
        var correction: LevelCorrection
        /// RMS of the corrected model's in-sample one-step errors, in the series' units.
        let oneStepSigma: Double
        /// Mean absolute slope change over the candidate changepoints (scaled units), the
        /// size of the slope changes assumed for the future in the trend uncertainty.
        let meanSlopeChange: Double
        /// Candidate changepoints per step in the fitted window: the rate assumed for the future.
        let changepointRate: Double
        /// Steps seen so far: the fitted window plus updates. The next observation is step
        /// `stepsSeen` (0 is the window's first step).
        public internal(set) var stepsSeen: Int

        /// Whether a decoded state can be evaluated: seasons a fit could have made (their sizes
        /// bounded, so the column count cannot overflow), one coefficient per column, and a
        /// step count that `predict` can add a horizon to.
        var isConsistent: Bool {
            features.seasons.allSatisfy { (2...(1 << 32)).contains($0.period) && (1...($0.period / 2)).contains($0.order) }
                && coefficients.count == features.count && (0...(1 << 53)).contains(stepsSeen)
        }

        /// A candidate changepoint and the change of slope the fit gave it.
        public struct Changepoint: Sendable, Equatable {
            /// Step index from the start of the fitted window.
            public var step: Int
            /// Change of the trend's slope at `step`, in series units per step.
            public var slopeChange: Double
        }

        /// Every candidate changepoint with its fitted slope change; most are near zero
        /// because the slope changes carry an L1 penalty.
        public var changepoints: [Changepoint] {
            zip(features.changepoints, coefficients[features.firstChangepointColumn...]).map {
                Changepoint(step: $0, slopeChange: $1 * scale * features.timeStep)
            }
        }

        /// The trend's slope after the last changepoint, in series units per step.
        public var finalSlope: Double {
            let k = coefficients[TrendSeasonalFeatures.slopeColumn]
            let changes = coefficients[features.firstChangepointColumn..<features.firstFourierColumn]
            return (k + changes.reduce(0, +)) * scale * features.timeStep
        }

        /// Smoothing weight of the residual level correction (chosen at fit).
        public var levelSmoothing: Double { correction.smoothing }

        /// The current level correction, in series units.
        public var levelCorrection: Double { correction.level * scale }

        /// Trend plus seasonality at `step` (no level correction), in series units.
        public func regressionValue(at step: Int) -> Double {
            var row = [Double](repeating: 0, count: features.count)
            return center + scale * features.value(at: step, coefficients: coefficients, scratch: &row)
        }
    }
}
