/// Why the inputs of a call do not fit the function's arguments, by the interpreter's
/// rules (every backend checks its inputs with them). Each case names the argument by its
/// IR name; `message(argumentNoun:)` words it for the caller (a training batch calls its
/// arguments tensors).
public enum BindingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `function` takes `expected` arguments and was given `got` inputs.
    case argumentCount(function: String, expected: Int, got: Int)
    /// A binding given by the caller (`--bind N=-1`) is negative.
    case negativeBinding(symbol: String, value: Int)
    /// The input for `argument` is not of its declared type: `expected` is that type with
    /// the sizes bound so far, `got` the input's shape (with its dtype when that differs).
    case mismatch(argument: String, expected: String, got: String)
    /// Dim `dim` of the argument's type `type` is a product (`2*N`) whose `unbound`
    /// symbols no argument determines.
    case undetermined(argument: String, dim: Int, type: String, dimText: String, unbound: [String])

    public var description: String { message(argumentNoun: "argument") }

    /// The message, with each argument named as `NOUN %name`.
    public func message(argumentNoun noun: String) -> String {
        switch self {
        case let .argumentCount(function, expected, got):
            return "function @\(function) takes \(expected) argument(s), got \(got) input(s)"
        case let .negativeBinding(symbol, value):
            return "binding \(symbol)=\(value) is negative"
        case let .mismatch(argument, expected, got):
            return "\(noun) %\(argument): expected \(expected), got \(got)"
        case let .undetermined(argument, dim, type, dimText, unbound):
            return "\(noun) %\(argument): dim \(dim) of \(type) is \(dimText), which does not determine \(unbound.joined(separator: ", ")); pass a binding for it"
        }
    }
}
