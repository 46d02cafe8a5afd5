import Testing
import Models

@Suite("Least squares")
struct LeastSquaresTests {
    @Test("an exact line is recovered exactly")
    func exactLine() throws {
        let xs = [0.0, 1, 2, 3, 4]
        let b = try LeastSquares.solve(design: xs.map { [1, $0] }, targets: xs.map { 2 + 3 * $0 })
        #expect(abs(b[0] - 2) < 1e-12)
        #expect(abs(b[1] - 3) < 1e-12)
    }

    @Test("simple regression matches the closed form slope = cov/var")
    func simpleRegressionClosedForm() throws {
        let xs = [1.0, 2, 4, 5, 7, 8]
        let ys = [1.1, 2.3, 3.9, 5.2, 6.8, 8.5]
        let n = Double(xs.count)
        let mx = xs.reduce(0, +) / n, my = ys.reduce(0, +) / n
        let sxy = zip(xs, ys).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
        let sxx = xs.map { ($0 - mx) * ($0 - mx) }.reduce(0, +)
        let slope = sxy / sxx, intercept = my - slope * mx

        let b = try LeastSquares.solve(design: xs.map { [1, $0] }, targets: ys)
        #expect(abs(b[0] - intercept) < 1e-10)
        #expect(abs(b[1] - slope) < 1e-10)
    }

    @Test("one-coefficient ridge is Σxy / (Σx² + λ)")
    func ridgeClosedForm() throws {
        let xs = [0.5, -1.0, 2.0, 3.0]
        let ys = [1.0, -2.5, 3.5, 7.0]
        let lambda = 4.0
        let expected = zip(xs, ys).map(*).reduce(0, +) / (xs.map { $0 * $0 }.reduce(0, +) + lambda)
        let b = try LeastSquares.solve(design: xs.map { [$0] }, targets: ys, penalties: [lambda])
        #expect(abs(b[0] - expected) < 1e-12)
    }

    @Test("per-coefficient penalties act on their own column of an orthogonal design")
    func perCoefficientPenalties() throws {
        // Columns are orthogonal, so each coefficient solves its own one-dimensional ridge.
        let design: [[Double]] = [[1, 1], [1, -1], [1, 1], [1, -1]]
        let ys = [3.0, 1.0, 5.0, -1.0]
        let b = try LeastSquares.solve(design: design, targets: ys, penalties: [0, 2])
        #expect(abs(b[0] - 8.0 / 4) < 1e-12)              // Σy / Σ1
        #expect(abs(b[1] - 8.0 / (4 + 2)) < 1e-12)        // Σ(±y) / (Σ1 + 2)
    }

    @Test("an integer weight equals repeating the row")
    func weightsEqualRepeatedRows() throws {
        let design: [[Double]] = [[1, 0], [1, 1], [1, 2], [1, 3]]
        let ys = [0.3, 1.1, 1.8, 3.4]
        let weighted = try LeastSquares.solve(design: design, targets: ys, weights: [1, 3, 1, 2])
        let repeated = try LeastSquares.solve(
            design: [design[0], design[1], design[1], design[1], design[2], design[3], design[3]],
            targets: [ys[0], ys[1], ys[1], ys[1], ys[2], ys[3], ys[3]])
        #expect(abs(weighted[0] - repeated[0]) < 1e-12)
        #expect(abs(weighted[1] - repeated[1]) < 1e-12)
    }

    @Test("a zero weight removes the row")
    func zeroWeightDropsRow() throws {
        let design: [[Double]] = [[1, 0], [1, 1], [1, 2]]
        let b = try LeastSquares.solve(design: design, targets: [0, 1, 1000], weights: [1, 1, 0])
        #expect(abs(b[0]) < 1e-12)
        #expect(abs(b[1] - 1) < 1e-12)
    }

    @Test("a duplicated column is singular without a penalty and split evenly with one")
    func singularColumn() throws {
        let design: [[Double]] = [[1, 2, 2], [1, 3, 3], [1, 5, 5]]
        let ys = [1.0, 2.0, 4.0]
        #expect(throws: LeastSquaresError.singular(column: 2)) {
            try LeastSquares.solve(design: design, targets: ys)
        }
        let b = try LeastSquares.solve(design: design, targets: ys, penalties: [0, 1e-6, 1e-6])
        // The two copies share the effect equally, and together give the slope of y on x (1).
        #expect(abs(b[1] - b[2]) < 1e-9)
        #expect(abs(b[1] + b[2] - 1) < 1e-4)
    }

    @Test("a column of zeros is singular")
    func zeroColumn() {
        #expect(throws: LeastSquaresError.singular(column: 1)) {
            try LeastSquares.solve(design: [[1, 0], [1, 0]], targets: [1, 2])
        }
    }

    @Test("mismatched shapes and non-finite inputs are reported")
    func badInputs() {
        #expect(throws: LeastSquaresError.self) {
            try LeastSquares.solve(design: [[1, 0], [1, 1]], targets: [1])
        }
        #expect(throws: LeastSquaresError.self) {
            try LeastSquares.solve(design: [[1, 0], [1]], targets: [1, 2])
        }
        #expect(throws: LeastSquaresError.self) {
            try LeastSquares.solve(design: [[1, 0], [1, 1]], targets: [1, .nan])
        }
        #expect(throws: LeastSquaresError.self) {
            try LeastSquares.solve(design: [[1, 0], [1, 1]], targets: [1, 2], penalties: [0, -1])
        }
    }

    @Test("the residual sum of squares from the sums matches a direct computation")
    func residualSumOfSquares() throws {
        let design: [[Double]] = [[1, 0, 0.5], [1, 1, -0.2], [1, 2, 0.9], [1, 3, 0.1], [1, 4, -0.7]]
        let ys = [0.2, 1.4, 1.7, 3.5, 3.6]
        let weights = [1.0, 0.5, 2.0, 1.0, 1.5]
        var equations = NormalEquations(columns: 3)
        for (row, (y, w)) in zip(design, zip(ys, weights)) { equations.add(row: row, target: y, weight: w) }
        let b = try equations.solve(ridge: 0.1)
        var direct = 0.0
        for (row, (y, w)) in zip(design, zip(ys, weights)) {
            let r = zip(row, b).map(*).reduce(0, +) - y
            direct += w * r * r
        }
        #expect(abs(equations.residualSumOfSquares(b) - direct) < 1e-10)
        #expect(equations.rows == 5)
        #expect(abs(equations.totalWeight - 6) < 1e-12)
    }

    @Test("the penalised solution makes the gradient of the objective vanish")
    func gradientVanishes() throws {
        // A larger, dense problem: check optimality directly instead of against a formula.
        let p = 6, n = 40
        var design = [[Double]](), ys = [Double]()
        for i in 0..<n {
            let t = Double(i) / Double(n)
            var row = [1.0]
            for j in 1..<p {
                let scaled: Double = Double(j) * 1.7 * t
                let saw: Double = scaled.truncatingRemainder(dividingBy: 1) - 0.5
                row.append(saw + 0.1 * Double(j) * t)
            }
            design.append(row)
            ys.append(2 * t + (Double(i % 7) - 3) * 0.1)
        }
        let penalties = [0, 0.5, 1, 2, 0.1, 3.0]
        let b = try LeastSquares.solve(design: design, targets: ys, penalties: penalties)
        for j in 0..<p {
            var g = 2 * penalties[j] * b[j]
            for (row, y) in zip(design, ys) { g += 2 * row[j] * (zip(row, b).map(*).reduce(0, +) - y) }
            #expect(abs(g) < 1e-9)
        }
    }
}
