import Testing
@testable import Models

@Suite struct RollingBlockMaximumTests {
    @Test func itIsTheLargestOfTheSpanAndTheOpenBlock() {
        var rng = SeededGenerator(seed: 5)
        var maximum = RollingBlockMaximum(span: 500, blockLength: 50)
        #expect(maximum.span == 500 && maximum.maximum == 0)
        var values: [Double] = []
        for t in 1...3_000 {
            // Rare large values, so the maximum has to let each one go on time.
            let v = rng.uniform() < 0.01 ? 10 + rng.uniform() : rng.uniform()
            values.append(v)
            maximum.add(v)
            let lookBack = min(t, 500 + t % 50)
            #expect(maximum.maximum == values.suffix(lookBack).max()!, "after \(t) values")
        }
    }

    @Test func nonFiniteValuesAreIgnoredAndShortSpansStillHoldOneBlock() {
        var maximum = RollingBlockMaximum(span: 10, blockLength: 100)
        #expect(maximum.span == 10)
        maximum.add(3)
        maximum.add(.nan)
        maximum.add(.infinity)
        #expect(maximum.maximum == 3 && maximum.isConsistent)
        for _ in 0..<18 { maximum.add(1) }
        #expect(maximum.maximum == 3, "19 values: still within 10 plus the open block")
        maximum.add(1)
        #expect(maximum.maximum == 1)
    }
}
