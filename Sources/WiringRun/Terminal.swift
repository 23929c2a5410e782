// What the output may assume about where it goes: the width to fit (the terminal's, `COLUMNS`, or 100
// columns when it is not a terminal) and whether to colour (a terminal, unless `NO_COLOR` is set or
// `--no-color` given; https://no-color.org).
import Foundation

public enum Terminal {
    /// Columns available on `descriptor` (stdout by default).
    public static func width(_ descriptor: Int32 = STDOUT_FILENO) -> Int {
        var size = winsize()
        if isatty(descriptor) != 0, ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
            return Int(size.ws_col)
        }
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        return 100
    }

    /// Whether output on `descriptor` should be coloured.
    public static func colour(_ descriptor: Int32 = STDOUT_FILENO, disabled: Bool = false) -> Bool {
        guard !disabled, ProcessInfo.processInfo.environment["NO_COLOR"].map({ $0.isEmpty }) ?? true else { return false }
        return isatty(descriptor) != 0
    }
}
