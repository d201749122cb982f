---@meta plugin-test
-- The assertion API that `samarinda plugin test` gives tests/*.lua, for
-- lua-language-server. Tests run in the plugin's own sandbox, as a staff
-- member of the plugin's department, with a scratch kv store. Documents,
-- models, PII redaction and HTTP are not available there (they return
-- nil, message), so tests exercise the plugin's fallbacks, or replace a
-- plugin function that wraps the host call (see docs/PLUGINS.md).

---The table the plugin's entry file returned. Tests may replace its
---functions (and should restore them).
---@type table<string, any>
plugin = {}

---Declares a test. Tests run in file order, each as its own call under the plugin's limits.
---@param name string
---@param fn fun()
function test(name, fn) end

---Calls a tool as the host would: policy and input schema, the handler, then the output schema.
---A violation raises an error; the result is the JSON a caller would get.
---@param name string The tool name from plugin.toml.
---@param args table The arguments.
---@return any result
function call_tool(name, args) end

---Deep equality of values (tables compared by content).
---@param actual any
---@param expected any
---@param message? string
function assert_eq(actual, expected, message) end

---@param value any
---@param message? string
function assert_true(value, message) end

---@param value any
---@param message? string
function assert_false(value, message) end

---@param text string
---@param pattern string A Lua pattern (escape - . % with %).
---@param message? string
function assert_match(text, pattern, message) end

---The function must raise an error (matching `pattern` when given).
---@param fn fun()
---@param pattern? string
---@param message? string
function assert_error(fn, pattern, message) end
