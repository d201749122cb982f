import Foundation
import Testing
@testable import SamarindaCore

/// JSONValue is what every tool argument, tool result and audit digest goes through: its text must
/// be valid JSON that parses back to the same value, and decoding must keep every JSON kind apart.
@Suite struct JSONValueTests {
    @Test func everyKindDecodesToItself() throws {
        let text = #"{"s":"teks","n":12,"f":1.5,"t":true,"b":false,"z":null,"a":[1,"dua",false,null,{"x":[]}],"o":{"k":{}}}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(value["s"] == .string("teks"))
        #expect(value["n"] == .number(12))
        #expect(value["f"] == .number(1.5))
        #expect(value["t"] == .bool(true), "true stays a bool, not the number 1")
        #expect(value["b"] == .bool(false))
        #expect(value["z"] == .null)
        #expect(value["a"] == .array([1, "dua", false, nil, ["x": []]]))
        #expect(value["o"] == .object(["k": .object([:])]))
        #expect(value.jsonText == #"{"a":[1,"dua",false,null,{"x":[]}],"b":false,"f":1.5,"n":12,"o":{"k":{}},"s":"teks","t":true,"z":null}"#)
    }

    @Test(arguments: ["plain", "kutip \" dan \\ garis miring", "baris\nbaru\r\ttab", "kontrol \u{01}\u{1f}\u{00}",
                      "Kecamatan Samarinda Ulu — ✓ 🏛️", "</script>", ""])
    func stringsRoundTripThroughTheirJSONText(_ s: String) throws {
        let value = JSONValue.object(["teks": .string(s), "daftar": .array([.string(s)])])
        let text = value.jsonText
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 }, "control characters are escaped: \(text.debugDescription)")
        // Parsed back by Foundation's parser (not ours), the value is the same.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["teks"] as? String == s)
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) == value)
        #expect(value.jsonBytes == Array(text.utf8))
    }

    @Test func prettyTextIsIndentedAndParsesBack() throws {
        let value: JSONValue = ["b": [1, 2], "a": ["c": "d"], "e": [:], "f": []]
        #expect(value.prettyText == """
            {
              "a": {
                "c": "d"
              },
              "b": [
                1,
                2
              ],
              "e": {},
              "f": []
            }
            """)
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(value.prettyText.utf8)) == value)
    }
}
