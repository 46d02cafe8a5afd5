import Foundation
import Models
import Testing

@Suite struct MovingMedianTests {
    @Test(arguments: [5, 24])
    func meetsTheContract(window: Int) throws {
        let model = MovingMedian(window: window)
        try checkForecasterContract(model, forward: { try model.forward($0, over: $1) })
    }

    @Test func forecastsTheMedianOfTheLastWindowFlat() throws {
        let model = MovingMedian(window: 4)
        var fitted = try model.fit([9, 9, 9, 1, 2, 3, 4])
        // Last four: 1, 2, 3, 4 -> median 2.5 at every horizon.
        #expect(model.predict(fitted, horizon: 3, level: nil).point == [2.5, 2.5, 2.5])
        model.update(&fitted, with: 100)  // 2, 3, 4, 100: a spike moves the median by 1 only
        #expect(model.predict(fitted, horizon: 1, level: nil).point == [3.5])
        model.update(&fitted, with: .nan)  // missing: nothing changes
        #expect(model.predict(fitted, horizon: 1, level: nil).point == [3.5])
        model.update(&fitted, with: 5)  // 3, 4, 100, 5
        #expect(model.predict(fitted, horizon: 1, level: nil).point == [4.5])
    }

    @Test func skipsGapsInTheFitWindow() throws {
        let model = MovingMedian(window: 3)
        let fitted = try model.fit([1, .nan, 2, 3, .nan, 10, .infinity, 11, .nan])
        // Finite values 1, 2, 3, 10, 11: the last three are 3, 10, 11.
        #expect(model.predict(fitted, horizon: 1, level: nil).point == [10])
        #expect(throws: ModelError.self) { _ = try model.fit([1, .nan, 2, .nan, 3, .nan, 4]) }
    }

    @Test func spikesDoNotMoveTheForecastButALevelShiftDoes() throws {
        let model = MovingMedian(window: 12)
        var y = [Double](repeating: 10, count: 40)
        y[35] = 500
        let spiky = try model.fit(y)
        #expect(model.predict(spiky, horizon: 6, level: 0.9).point.allSatisfy { $0 == 10 })
        let shifted = try model.fit(y + [Double](repeating: 20, count: 7))
        #expect(model.predict(shifted, horizon: 1, level: nil).point == [20])
    }
}
