// A strict reader for the Python pickles in torchvision's CIFAR folders (`cifar-10-batches-py`,
// `cifar-100-python`): a dict of byte or str keys holding a uint8 NumPy array, lists of ints and
// lists of bytes. It understands exactly the opcodes those files use (protocol 2 as written by
// Python 2's cPickle and by Python 3, protocols 3 to 5 as written by Python 3's pickle.dump) and
// five known callables, which it interprets as data and never runs:
//   numpy.core.multiarray._reconstruct + ndarray.__setstate__  (the array in protocols 2 to 4),
//   numpy.core.numeric._frombuffer                              (the array in protocol 5),
//   numpy.dtype + dtype.__setstate__                            (the element type),
//   _codecs.encode(str, 'latin1')                               (Python 3's protocol-2 bytes).
// Any other opcode, callable or argument is an error naming it, so a hostile or unexpected file is
// refused, never trusted.

/// A value unpickled from one of the files above.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case bytes([UInt8])
    case string(String)
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A callable the reader knows, by its module-qualified name.
    case callable(KnownCallable)
    /// A dtype, complete once its state has been set (`dtype(...)` then BUILD).
    case dtype(PickleDType)
    /// An array, complete once its state has been set (`_reconstruct(...)` then BUILD, or `_frombuffer`).
    case array(PickleArray)

    /// A short name of the kind of value, for error messages.
    var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int: return "int"
        case .bytes: return "bytes"
        case .string: return "str"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .callable: return "callable"
        case .dtype: return "dtype"
        case .array: return "ndarray"
        }
    }
}

/// Lists and dicts are shared by reference in a pickle (the memo can name them again), so they are classes.
final class PickleList { var items: [PickleValue] = [] }
final class PickleDict {
    var entries: [(key: PickleValue, value: PickleValue)] = []
    /// The value under a bytes key or str key spelled `name` (files from Python 2 use bytes, others may use str).
    subscript(name: String) -> PickleValue? {
        entries.last { entry in
            switch entry.key {
            case let .bytes(b): return b == Array(name.utf8)
            case let .string(s): return s == name
            default: return false
            }
        }?.value
    }
}
final class PickleDType {
    let descr: String
    var byteOrder: Character?
    init(descr: String) { self.descr = descr }
}
final class PickleArray { var array: NumpyArray? }

/// The callables a CIFAR pickle may name (numpy 2 spells the module `numpy._core`).
enum KnownCallable: Equatable {
    case reconstruct, ndarray, dtype, frombuffer, codecsEncode

    init?(module: String, name: String) {
        switch (module, name) {
        case ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"): self = .reconstruct
        case ("numpy", "ndarray"): self = .ndarray
        case ("numpy", "dtype"): self = .dtype
        case ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"): self = .frombuffer
        case ("_codecs", "encode"): self = .codecsEncode
        default: return nil
        }
    }
}

/// Why a pickle was refused, in words for `DataError.corrupt`.
struct PickleError: Error { let problem: String }

/// Unpickles `bytes` with the rules above.
/// - Throws: `PickleError` for a truncated stream, an unknown opcode, an unexpected callable or arguments.
func unpickle(_ bytes: [UInt8]) throws -> PickleValue {
    var reader = PickleReader(bytes: bytes)
    return try reader.run()
}

private struct PickleReader {
    let bytes: [UInt8]
    var position = 0
    var stack: [PickleValue] = []
    var marks: [Int] = []
    var memo: [Int: PickleValue] = [:]

    init(bytes: [UInt8]) { self.bytes = bytes }

    func fail(_ problem: String, at offset: Int? = nil) -> PickleError {
        PickleError(problem: "pickle byte \(offset ?? position): \(problem)")
    }

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - position else {
            throw PickleError(problem: "truncated: the pickle ends inside its data at byte \(bytes.count)")
        }
        defer { position += n }
        return bytes[position ..< position + n]
    }

    mutating func unsigned(_ n: Int) throws -> Int {
        let raw = try take(n)
        var value: UInt64 = 0
        for (i, b) in raw.enumerated() { value |= UInt64(b) << (8 * UInt64(i)) }
        guard value <= UInt64(Int.max) else { throw fail("length \(value) is impossible") }
        return Int(value)
    }

    mutating func line() throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else {
            throw PickleError(problem: "truncated: the pickle ends inside a GLOBAL name")
        }
        defer { position = end + 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }

    mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast(), stack.count >= (marks.last ?? 0) else { throw fail("stack underflow") }
        return value
    }

    /// The items above the last MARK, removing them and the mark.
    mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw fail("no MARK to close") }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    mutating func string(_ raw: ArraySlice<UInt8>) throws -> String {
        guard let s = String(validating: raw, as: UTF8.self) else { throw fail("a str is not valid UTF-8") }
        return s
    }

    mutating func run() throws -> PickleValue {
        while true {
            let offset = position
            let opcode = try take(1).first!
            switch opcode {
            case 0x80: // PROTO
                let version = try unsigned(1)
                guard (2...5).contains(version) else { throw fail("pickle protocol \(version) is not one CIFAR files use (2 to 5)", at: offset) }
            case 0x95: _ = try unsigned(8) // FRAME: a length hint only
            case 0x2E: // STOP
                guard stack.count == 1, marks.isEmpty else { throw fail("STOP with \(stack.count) values on the stack", at: offset) }
                return stack[0]
            case 0x28: marks.append(stack.count) // MARK
            case 0x7D: stack.append(.dict(PickleDict())) // EMPTY_DICT
            case 0x5D: stack.append(.list(PickleList())) // EMPTY_LIST
            case 0x29: stack.append(.tuple([])) // EMPTY_TUPLE
            case 0x74: stack.append(.tuple(try popMark())) // TUPLE
            case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
                let n = Int(opcode - 0x84)
                guard stack.count - n >= (marks.last ?? 0) else { throw fail("stack underflow", at: offset) }
                let items = Array(stack.suffix(n))
                stack.removeLast(n)
                stack.append(.tuple(items))
            case 0x61, 0x65: // APPEND, APPENDS
                let items = opcode == 0x61 ? [try pop()] : try popMark()
                guard case let .list(list)? = stack.last else { throw fail("APPEND to a \(stack.last?.kindName ?? "nothing")", at: offset) }
                list.items += items
            case 0x73, 0x75: // SETITEM, SETITEMS
                var items: [PickleValue]
                if opcode == 0x73 { let v = try pop(); items = [try pop(), v] } else { items = try popMark() }
                guard items.count % 2 == 0, case let .dict(dict)? = stack.last else {
                    throw fail("SETITEMS on a \(stack.last?.kindName ?? "nothing")", at: offset)
                }
                for i in stride(from: 0, to: items.count, by: 2) { dict.entries.append((items[i], items[i + 1])) }
            case 0x4E: stack.append(.none) // NONE
            case 0x88: stack.append(.bool(true)) // NEWTRUE
            case 0x89: stack.append(.bool(false)) // NEWFALSE
            case 0x4B: stack.append(.int(try unsigned(1))) // BININT1
            case 0x4D: stack.append(.int(try unsigned(2))) // BININT2
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try unsigned(4))))) // BININT
            case 0x8A: // LONG1: little-endian two's complement of n bytes
                let n = try unsigned(1)
                guard n <= 8 else { throw fail("an integer of \(n) bytes is too large", at: offset) }
                let raw = try take(n)
                var value: UInt64 = 0
                for (i, b) in raw.enumerated() { value |= UInt64(b) << (8 * UInt64(i)) }
                if n > 0, n < 8, raw.last! & 0x80 != 0 { value |= ~0 << (8 * UInt64(n)) }
                stack.append(.int(Int(truncatingIfNeeded: value)))
            case 0x55: stack.append(.bytes(Array(try take(try unsigned(1))))) // SHORT_BINSTRING (Python 2 str)
            case 0x54: stack.append(.bytes(Array(try take(try unsigned(4))))) // BINSTRING (Python 2 str)
            case 0x43: stack.append(.bytes(Array(try take(try unsigned(1))))) // SHORT_BINBYTES
            case 0x42: stack.append(.bytes(Array(try take(try unsigned(4))))) // BINBYTES
            case 0x8E: stack.append(.bytes(Array(try take(try unsigned(8))))) // BINBYTES8
            case 0x96: stack.append(.bytes(Array(try take(try unsigned(8))))) // BYTEARRAY8
            case 0x8C: stack.append(.string(try string(try take(try unsigned(1))))) // SHORT_BINUNICODE
            case 0x58: stack.append(.string(try string(try take(try unsigned(4))))) // BINUNICODE
            case 0x8D: stack.append(.string(try string(try take(try unsigned(8))))) // BINUNICODE8
            case 0x71, 0x72, 0x94: // BINPUT, LONG_BINPUT, MEMOIZE
                guard let top = stack.last else { throw fail("nothing to memoize", at: offset) }
                let index = opcode == 0x71 ? try unsigned(1) : opcode == 0x72 ? try unsigned(4) : memo.count
                memo[index] = top
            case 0x68, 0x6A: // BINGET, LONG_BINGET
                let index = try unsigned(opcode == 0x68 ? 1 : 4)
                guard let value = memo[index] else { throw fail("memo entry \(index) was never stored", at: offset) }
                stack.append(value)
            case 0x63: // GLOBAL
                let module = try line(), name = try line()
                stack.append(.callable(try known(module, name, at: offset)))
            case 0x93: // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard case let .string(m) = module, case let .string(n) = name else {
                    throw fail("STACK_GLOBAL needs two str", at: offset)
                }
                stack.append(.callable(try known(m, n, at: offset)))
            case 0x52: // REDUCE
                let args = try pop(), callable = try pop()
                guard case let .callable(c) = callable, case let .tuple(a) = args else {
                    throw fail("REDUCE of a \(callable.kindName) with \(args.kindName) arguments", at: offset)
                }
                stack.append(try call(c, a, at: offset))
            case 0x62: // BUILD
                let state = try pop()
                guard let object = stack.last else { throw fail("BUILD on nothing", at: offset) }
                try build(object, state: state, at: offset)
            default:
                throw fail(String(format: "opcode 0x%02x is not one the CIFAR pickles use; refusing the file", opcode), at: offset)
            }
        }
    }

    func known(_ module: String, _ name: String, at offset: Int) throws -> KnownCallable {
        guard let c = KnownCallable(module: module, name: name) else {
            throw fail("refusing to load '\(module).\(name)' (only numpy arrays, lists and dicts are read)", at: offset)
        }
        return c
    }

    func call(_ callable: KnownCallable, _ args: [PickleValue], at offset: Int) throws -> PickleValue {
        switch (callable, args.count) {
        case (.codecsEncode, 2):
            // Python 3 writes bytes at protocol 2 as encode(str with one char per byte, 'latin1').
            guard case let .string(text) = args[0], case let .string(encoding) = args[1],
                  encoding == "latin1" || encoding == "latin-1" else { break }
            var out = [UInt8]()
            out.reserveCapacity(text.unicodeScalars.count)
            for scalar in text.unicodeScalars {
                guard scalar.value < 256 else { throw fail("a latin1 string holds U+\(String(scalar.value, radix: 16))", at: offset) }
                out.append(UInt8(scalar.value))
            }
            return .bytes(out)
        case (.reconstruct, 3):
            guard case .callable(.ndarray) = args[0] else { break }
            return .array(PickleArray())
        case (.dtype, 3):
            let descr: String
            switch args[0] {
            case let .string(s): descr = s
            case let .bytes(b): descr = String(decoding: b, as: UTF8.self)
            default: throw fail("numpy.dtype of a \(args[0].kindName)", at: offset)
            }
            return .dtype(PickleDType(descr: descr))
        case (.frombuffer, 4):
            // _frombuffer(buffer, dtype, shape, order)
            guard case let .bytes(raw) = args[0], case let .dtype(dtype) = args[1], case let .tuple(dims) = args[2],
                  case let .string(order) = args[3] else { break }
            let box = PickleArray()
            box.array = try makeArray(shape: dims, dtype: dtype, fortran: order == "F", raw: raw, at: offset)
            return .array(box)
        default:
            break
        }
        throw fail("unexpected arguments (\(args.map(\.kindName).joined(separator: ", "))) for \(callable)", at: offset)
    }

    func build(_ object: PickleValue, state: PickleValue, at offset: Int) throws {
        switch (object, state) {
        case let (.dtype(dtype), .tuple(s)) where s.count >= 8:
            // (version, byte order, subarray, names, fields, elsize, alignment, flags[, metadata])
            // The byte order is a str, or bytes in a Python 2 file.
            let order: String
            switch s[1] {
            case let .string(text): order = text
            case let .bytes(raw): order = String(decoding: raw, as: UTF8.self)
            default: throw fail("a dtype state without a byte order", at: offset)
            }
            guard order.count == 1 else { throw fail("a dtype state with byte order '\(order)'", at: offset) }
            for i in 2...4 {
                guard case .none = s[i] else { throw fail("a structured or subarray dtype (not an image array)", at: offset) }
            }
            dtype.byteOrder = order.first
            return
        case let (.array(box), .tuple(s)) where s.count == 5:
            // (version, shape, dtype, is_fortran, raw data)
            guard case let .tuple(dims) = s[1], case let .dtype(dtype) = s[2] else { break }
            let fortran: Bool
            switch s[3] {
            case let .bool(b): fortran = b
            case let .int(i): fortran = i != 0
            default: throw fail("an array state's is_fortran is a \(s[3].kindName)", at: offset)
            }
            guard case let .bytes(raw) = s[4] else {
                throw fail("the array holds Python objects (its data is a \(s[4].kindName)); refusing it", at: offset)
            }
            box.array = try makeArray(shape: dims, dtype: dtype, fortran: fortran, raw: raw, at: offset)
            return
        default:
            break
        }
        if case .dtype = object { throw fail("unexpected dtype state \(state.kindName)", at: offset) }
        if case .array = object { throw fail("unexpected array state \(state.kindName)", at: offset) }
        throw fail("BUILD on a \(object.kindName) (only numpy dtypes and arrays are built)", at: offset)
    }

    func makeArray(shape dims: [PickleValue], dtype: PickleDType, fortran: Bool, raw: [UInt8], at offset: Int) throws -> NumpyArray {
        var shape = [Int]()
        for d in dims {
            guard case let .int(n) = d, n >= 0 else { throw fail("an array dimension is not a count", at: offset) }
            shape.append(n)
        }
        let order = dtype.byteOrder.map(String.init) ?? ""
        let parsed = NumpyDType.parse(order + dtype.descr)
        guard let type = parsed.dtype else { throw fail(parsed.problem + " (\(parsed.fix))", at: offset) }
        var needed: Int? = type.size
        for d in shape {
            guard let n = needed else { break }
            let product = n.multipliedReportingOverflow(by: d)
            needed = product.overflow ? nil : product.partialValue
        }
        guard let bytesNeeded = needed, raw.count == bytesNeeded else {
            throw fail("an array of shape \(pythonShape(shape)) and dtype \(type) does not fit its \(raw.count) data bytes", at: offset)
        }
        guard !fortran || shape.filter({ $0 > 1 }).count <= 1 else {
            throw fail("a Fortran-order array (save it with np.ascontiguousarray)", at: offset)
        }
        return NumpyArray(shape: shape, dtype: type, bytes: raw)
    }
}
