import SamarindaCore
import Foundation

// There is no JSON Schema library in the package mirror (and the full
// specification is far larger than tools need), so this validator covers the
// subset tool schemas use: type, properties, required, additionalProperties,
// items, minItems/maxItems, enum, const, minimum/maximum (and the exclusive
// forms), minLength/maxLength, pattern, oneOf/anyOf/allOf. Annotations
// (title, description, default, examples, format, $schema) are accepted and
// ignored; any other keyword is an error, so a typo does not silently turn a
// constraint off.

/// A compiled JSON Schema. Immutable and shared between concurrent calls.
public final class JSONSchema: @unchecked Sendable {
    /// The schema as written, for tool listings.
    public let source: JSONValue
    let types: Set<String>?
    let properties: [String: JSONSchema]
    let required: [String]
    let additionalProperties: JSONSchema?
    let additionalAllowed: Bool
    let items: JSONSchema?
    let minItems: Int?
    let maxItems: Int?
    let enumValues: [JSONValue]?
    let constValue: JSONValue?
    let minimum: Double?
    let maximum: Double?
    let exclusiveMinimum: Double?
    let exclusiveMaximum: Double?
    let minLength: Int?
    let maxLength: Int?
    /// NSRegularExpression is immutable and documented thread-safe.
    let pattern: NSRegularExpression?
    let patternText: String?
    let oneOf: [JSONSchema]
    let anyOf: [JSONSchema]
    let allOf: [JSONSchema]

    /// Strings longer than this are not matched against `pattern`: a backtracking regex on a long
    /// hostile input could hold a thread for a long time. Schemas that need longer strings should
    /// not rely on `pattern` alone.
    static let patternInputLimit = 2048

    static let keywords: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "enum", "const",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern",
        "oneOf", "anyOf", "allOf",
        "title", "description", "default", "examples", "format", "$schema", "$comment",
    ]
    static let typeNames: Set<String> = ["null", "boolean", "integer", "number", "string", "array", "object"]

    /// Compiles `value`; problems are appended to `errors` with their location inside the schema.
    public static func compile(_ value: JSONValue, at path: String = "", errors: inout [String]) -> JSONSchema {
        JSONSchema(value, path: path, errors: &errors)
    }

    private init(_ value: JSONValue, path: String, errors: inout [String]) {
        source = value
        let o = value.objectValue ?? [:]
        if value.objectValue == nil { errors.append("\(path.isEmpty ? "schema" : path): a schema must be a table (JSON object)") }
        for key in o.keys.sorted() where !Self.keywords.contains(key) {
            errors.append("\(path.isEmpty ? "" : path + ".")\(key): unsupported JSON Schema keyword; supported: \(Self.keywords.sorted().joined(separator: ", "))")
        }
        func p(_ k: String) -> String { path.isEmpty ? k : "\(path).\(k)" }
        func int(_ k: String) -> Int? {
            guard let v = o[k] else { return nil }
            guard let n = v.numberValue, n >= 0, n.rounded() == n else { errors.append("\(p(k)): must be a non-negative integer"); return nil }
            // Int(n) traps beyond Int.max (found by Scripts/fuzz: "minLength": 19985441590266560621).
            guard n < 9_007_199_254_740_992 else { errors.append("\(p(k)): \(n) is too large; at most 9007199254740991"); return nil }
            return Int(n)
        }
        func num(_ k: String) -> Double? {
            guard let v = o[k] else { return nil }
            guard let n = v.numberValue else { errors.append("\(p(k)): must be a number"); return nil }
            return n
        }
        func list(_ k: String) -> [JSONSchema] {
            guard let v = o[k] else { return [] }
            guard let a = v.arrayValue, !a.isEmpty else { errors.append("\(p(k)): must be a non-empty array of schemas"); return [] }
            return a.enumerated().map { JSONSchema($1, path: "\(p(k))[\($0)]", errors: &errors) }
        }

        switch o["type"] {
        case nil: types = nil
        case .string(let t)?:
            if !Self.typeNames.contains(t) { errors.append("\(p("type")): unknown type '\(t)'; allowed: \(Self.typeNames.sorted().joined(separator: ", "))") }
            types = [t]
        case .array(let a)?:
            let names = a.compactMap(\.stringValue)
            if names.count != a.count || names.contains(where: { !Self.typeNames.contains($0) }) {
                errors.append("\(p("type")): must name types from: \(Self.typeNames.sorted().joined(separator: ", "))")
            }
            types = Set(names)
        default:
            errors.append("\(p("type")): must be a type name or an array of them")
            types = nil
        }
        var props: [String: JSONSchema] = [:]
        if let pv = o["properties"] {
            if let po = pv.objectValue {
                for (k, v) in po { props[k] = JSONSchema(v, path: "\(p("properties")).\(k)", errors: &errors) }
            } else {
                errors.append("\(p("properties")): must be a table of schemas")
            }
        }
        properties = props
        if let r = o["required"] {
            let names = r.arrayValue?.compactMap(\.stringValue) ?? []
            if r.arrayValue == nil || names.count != r.arrayValue!.count { errors.append("\(p("required")): must be an array of property names") }
            required = names
        } else {
            required = []
        }
        switch o["additionalProperties"] {
        case nil: additionalProperties = nil; additionalAllowed = true
        case .bool(let b)?: additionalProperties = nil; additionalAllowed = b
        case let v?: additionalProperties = JSONSchema(v, path: p("additionalProperties"), errors: &errors); additionalAllowed = true
        }
        items = o["items"].map { JSONSchema($0, path: p("items"), errors: &errors) }
        minItems = int("minItems")
        maxItems = int("maxItems")
        if let e = o["enum"] {
            if let a = e.arrayValue, !a.isEmpty { enumValues = a } else { errors.append("\(p("enum")): must be a non-empty array"); enumValues = nil }
        } else {
            enumValues = nil
        }
        constValue = o["const"]
        minimum = num("minimum")
        maximum = num("maximum")
        exclusiveMinimum = num("exclusiveMinimum")
        exclusiveMaximum = num("exclusiveMaximum")
        minLength = int("minLength")
        maxLength = int("maxLength")
        if let pv = o["pattern"] {
            if let text = pv.stringValue {
                patternText = text
                if Self.hasNestedQuantifier(text) {
                    errors.append("\(p("pattern")): '\(text)' repeats a group that itself repeats (like (a+)+) or has alternatives (like (a|ab)*), which can take exponential time on hostile input; rewrite it without nested repetition")
                    pattern = nil
                } else {
                    do { pattern = try NSRegularExpression(pattern: text) } catch {
                        errors.append("\(p("pattern")): '\(text)' is not a valid regular expression"); pattern = nil
                    }
                }
            } else {
                errors.append("\(p("pattern")): must be a string"); pattern = nil; patternText = nil
            }
        } else {
            pattern = nil; patternText = nil
        }
        oneOf = list("oneOf")
        anyOf = list("anyOf")
        allOf = list("allOf")
    }

    /// A group containing a quantifier or alternatives, itself quantified: the catastrophic-backtracking shapes.
    static func hasNestedQuantifier(_ pattern: String) -> Bool {
        var stack: [Bool] = []  // per open group: contains a quantifier
        var chars = Array(pattern)
        var i = 0
        var lastClosedHadQuantifier = false
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "\\": i += 1; lastClosedHadQuantifier = false
            case "[":
                while i < chars.count, chars[i] != "]" { if chars[i] == "\\" { i += 1 }; i += 1 }
                lastClosedHadQuantifier = false
            case "(": stack.append(false); lastClosedHadQuantifier = false
            case ")":
                lastClosedHadQuantifier = stack.popLast() ?? false
                if lastClosedHadQuantifier, !stack.isEmpty { stack[stack.count - 1] = true }
                i += 1
                continue
            case "*", "+", "{":
                if lastClosedHadQuantifier { return true }
                if !stack.isEmpty { stack[stack.count - 1] = true }
            case "?":
                break
            case "|":
                // Alternatives inside a repeated group backtrack exponentially too when they overlap,
                // as (a|a)* or (a|ab)* do (found by Scripts/fuzz): treat the group like a repeating one.
                if !stack.isEmpty { stack[stack.count - 1] = true }
                lastClosedHadQuantifier = false
            default: lastClosedHadQuantifier = false
            }
            i += 1
        }
        chars.removeAll()
        return false
    }

    /// Validates `value`; returns the problems (empty when valid), each with its JSON path.
    public func validate(_ value: JSONValue) -> [String] {
        var errors: [String] = []
        check(value, path: "$", errors: &errors)
        return errors
    }

    private func check(_ value: JSONValue, path: String, errors: inout [String]) {
        guard errors.count < 20 else { return }
        if let types {
            let t = value.typeName
            let ok = types.contains(t) || (t == "integer" && types.contains("number"))
            if !ok {
                errors.append("\(path): expected \(types.sorted().joined(separator: " or ")), found \(t)")
                return
            }
        }
        if let enumValues, !enumValues.contains(value) {
            errors.append("\(path): must be one of \(enumValues.map(\.jsonText).joined(separator: ", "))")
        }
        if let constValue, constValue != value {
            errors.append("\(path): must be \(constValue.jsonText)")
        }
        switch value {
        case .number(let n):
            if let minimum, n < minimum { errors.append("\(path): must be ≥ \(JSONValue.format(minimum))") }
            if let maximum, n > maximum { errors.append("\(path): must be ≤ \(JSONValue.format(maximum))") }
            if let exclusiveMinimum, n <= exclusiveMinimum { errors.append("\(path): must be > \(JSONValue.format(exclusiveMinimum))") }
            if let exclusiveMaximum, n >= exclusiveMaximum { errors.append("\(path): must be < \(JSONValue.format(exclusiveMaximum))") }
        case .string(let s):
            if minLength != nil || maxLength != nil {
                let count = s.count
                if let minLength, count < minLength { errors.append("\(path): must be at least \(minLength) characters") }
                if let maxLength, count > maxLength { errors.append("\(path): must be at most \(maxLength) characters") }
            }
            if let pattern, let patternText {
                let ns = s as NSString
                if ns.length > Self.patternInputLimit {
                    errors.append("\(path): too long (\(ns.length) characters) to check against pattern '\(patternText)'; at most \(Self.patternInputLimit)")
                } else if pattern.firstMatch(in: s, range: NSRange(location: 0, length: ns.length)) == nil {
                    errors.append("\(path): must match the pattern '\(patternText)'")
                }
            }
        case .array(let a):
            if let minItems, a.count < minItems { errors.append("\(path): must have at least \(minItems) items") }
            if let maxItems, a.count > maxItems { errors.append("\(path): must have at most \(maxItems) items") }
            if let items { for (i, v) in a.enumerated() { items.check(v, path: "\(path)[\(i)]", errors: &errors) } }
        case .object(let o):
            for name in required where o[name] == nil { errors.append("\(path): missing required property '\(name)'") }
            for (k, v) in o {
                if let s = properties[k] {
                    s.check(v, path: "\(path).\(k)", errors: &errors)
                } else if let additionalProperties {
                    additionalProperties.check(v, path: "\(path).\(k)", errors: &errors)
                } else if !additionalAllowed {
                    errors.append("\(path): unknown property '\(k)'; allowed: \(properties.keys.sorted().joined(separator: ", "))")
                }
            }
        default: break
        }
        for s in allOf { s.check(value, path: path, errors: &errors) }
        if !anyOf.isEmpty, !anyOf.contains(where: { $0.validate(value).isEmpty }) {
            errors.append("\(path): does not match any of the allowed forms (anyOf)")
        }
        if !oneOf.isEmpty {
            let matches = oneOf.filter { $0.validate(value).isEmpty }.count
            if matches != 1 { errors.append("\(path): must match exactly one of the allowed forms (oneOf), matched \(matches)") }
        }
    }

    /// Lua has one table type, so an empty table arrives as `{}`; where the schema expects an array,
    /// read it as `[]`.
    public func normalizingEmptyTables(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let o) where o.isEmpty:
            if let types, types.contains("array"), !types.contains("object") { return .array([]) }
            if types == nil, items != nil { return .array([]) }
            return value
        case .object(let o):
            var out: [String: JSONValue] = [:]
            for (k, v) in o { out[k] = (properties[k] ?? additionalProperties)?.normalizingEmptyTables(v) ?? v }
            return .object(out)
        case .array(let a):
            guard let items else { return value }
            return .array(a.map { items.normalizingEmptyTables($0) })
        default:
            return value
        }
    }
}
