-- luacheck for Samarinda plugins (`luacheck Plugins/`, run by the test suite): exactly the globals
-- the sandbox gives a plugin (docs/PLUGINS.md, "Limits and the sandbox"), so code that reaches for
-- a removed library (io, os.execute, require, debug …) is flagged.
std = "none"
read_globals = {
  "_G", "_VERSION", "assert", "collectgarbage", "error", "getmetatable", "ipairs", "load", "next", "pairs", "pcall",
  "print", "rawequal", "rawget", "rawlen", "rawset", "select", "setmetatable", "tonumber", "tostring", "type", "xpcall",
  "coroutine", "math", "string", "table", "utf8", "samarinda",
  os = { fields = { "time", "date", "clock" } },
}
max_line_length = false
exclude_files = { ".meta/*" }
-- Plugin tests (`samarinda plugin test`): the assertion API, and `plugin`, whose fields a test may replace.
files["**/tests/*.lua"] = {
  globals = { "plugin" },
  read_globals = { "test", "assert_eq", "assert_true", "assert_false", "assert_match", "assert_error", "call_tool" },
}
