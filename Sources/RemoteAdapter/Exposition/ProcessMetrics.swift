import Foundation

/// The standard `process_*` metrics, read from /proc as Prometheus' client libraries do.
enum ProcessMetrics {
    /// Virtual and resident memory in bytes, from /proc/self/statm (nil where there is none).
    static func memoryBytes() -> (virtual: Int, resident: Int)? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let virtual = Int(fields[0]), let resident = Int(fields[1]) else { return nil }
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        return (virtual * pageSize, resident * pageSize)
    }

    static func residentBytes() -> Int? { memoryBytes()?.resident }

    static func write(to w: inout ExpositionWriter, startTime: Date) {
        w.family("process_start_time_seconds", .gauge, help: "Start time of the process since unix epoch in seconds.")
        w.sample("process_start_time_seconds", [], startTime.timeIntervalSince1970.rounded())
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        if let memory = memoryBytes() {
            w.family("process_resident_memory_bytes", .gauge, help: "Resident memory size in bytes.")
            w.sample("process_resident_memory_bytes", [], Double(memory.resident))
            w.family("process_virtual_memory_bytes", .gauge, help: "Virtual memory size in bytes.")
            w.sample("process_virtual_memory_bytes", [], Double(memory.virtual))
        }
        if let open = OpenFileLimit.openCount() {
            w.family("process_open_fds", .gauge, help: "Number of open file descriptors.")
            w.sample("process_open_fds", [], Double(open))
        }
        if let limit = OpenFileLimit.current() {
            w.family("process_max_fds", .gauge, help: "Maximum number of open file descriptors.")
            w.sample("process_max_fds", [], Double(limit.soft))
        }
        // /proc/self/stat: fields after the ")" that ends the command name; utime and stime are
        // the 12th and 13th of them.
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) {
                w.family("process_cpu_seconds_total", .counter, help: "Total user and system CPU time spent in seconds.")
                w.sample("process_cpu_seconds_total", [], (user + system) / ticks)
            }
        }
    }
}
