---@meta samarinda
-- Type definitions of the Samarinda.ai plugin host API (host_api 1.0) for
-- lua-language-server. The platform never loads this file: editors read it
-- (through the .luarc.json in each plugin folder) to complete and type-check
-- plugin code. Keep it in step with Sources/SamarindaPlugins/Sandbox/HostAPI.swift.
--
-- A sub-table (docs, model, kv, http, pii, audit) exists only when the plugin
-- was granted its capability; without it the field is nil. Host calls that
-- wait (documents, model, HTTP, PII, audit) look like ordinary calls: the
-- platform suspends the plugin while it waits. Failures return `nil, message`.

---The read-only host API table.
---@class samarinda
---@field caller samarinda.Caller The principal the tool runs for (nil while the entry file loads).
---@field log samarinda.log Always available.
---@field json samarinda.json Always available.
---@field docs samarinda.docs Needs `docs.search:<department>` or `docs.search:public`.
---@field model samarinda.model Needs `model.generate` (generate) or `model.chat` (chat).
---@field kv samarinda.kv Needs `kv`.
---@field http samarinda.http Needs `http:<host>`, granted by the operator.
---@field pii samarinda.pii Needs `pii.redact`.
---@field audit samarinda.audit Needs `audit.note`.
samarinda = {}

-- {====== caller ======}

---@alias samarinda.Role "admin"|"dept_admin"|"staff"|"auditor"|"service"
---@alias samarinda.Classification "biasa"|"terbatas"|"rahasia"|"sangat_rahasia"

---Who called the tool.
---@class samarinda.Caller
---@field id string Stable principal id, e.g. "key:ab12cd".
---@field name string Display name.
---@field department string Department id, e.g. "disdukcapil".
---@field role samarinda.Role
---@field clearance samarinda.Classification Highest classification the caller may see.

-- {====== log ======}

---Log lines go to the platform log with the plugin id and request id.
---Never log personal data (NIK, phone numbers, names).
---@class samarinda.log
samarinda.log = {}

---@param message string|any Tables are written as JSON; at most 8 KiB is kept.
function samarinda.log.debug(message) end
---@param message string|any
function samarinda.log.info(message) end
---@param message string|any
function samarinda.log.warn(message) end
---@param message string|any
function samarinda.log.error(message) end

-- {====== json ======}

---@class samarinda.json
samarinda.json = {}

---Encodes a Lua value as JSON text. Tables with keys 1..n become arrays.
---@param value any
---@return string|nil json
---@return string|nil error
function samarinda.json.encode(value) end

---Decodes JSON text; `null` becomes nil.
---@param text string
---@return any value
---@return string|nil error
function samarinda.json.decode(text) end

-- {====== docs ======}

---@class samarinda.docs
samarinda.docs = {}

---@class samarinda.SearchOptions
---@field collections? string[] Collection names (as in `Passage.collection` and `samarinda docs list`), owned by a granted department. Default: all. A department name this plugin asked for is still read as a department.
---@field departments? string[] Departments (or "public") to search; each must be granted as `docs.search:<department>`. Default: all granted.
---@field limit? integer 1..50, default 5. Anything else (0, 1.5, math.huge, 0/0) raises an error.

---One passage of a document, with its citation.
---@class samarinda.Passage
---@field document_id integer
---@field chunk_id integer
---@field collection string The name of the document's collection (what `collections` takes).
---@field title string
---@field section string
---@field text string
---@field classification samarinda.Classification Never above what the call may see.
---@field score number Higher is more relevant.
---@field citation string Ready-made citation label, e.g. "SOP KTP-el — Persyaratan".

---Searches the granted document collections. Only passages the caller may see are returned.
---@param query string
---@param options? samarinda.SearchOptions
---@return samarinda.Passage[]|nil passages Best first; an empty table when nothing matches.
---@return string|nil error E.g. a collection that is not granted, or search unavailable.
function samarinda.docs.search(query, options) end

---@class samarinda.Document
---@field id integer
---@field collection string
---@field title string
---@field classification samarinda.Classification
---@field text string

---Fetches a whole document by id from a granted collection.
---@param id integer A `document_id` from `search`.
---@return samarinda.Document|nil document
---@return string|nil error "document N not found" when absent or not visible.
function samarinda.docs.get(id) end

-- {====== model ======}

---@class samarinda.model
samarinda.model = {}

---@class samarinda.ModelOptions
---@field system? string System prompt (generate only).
---@field model? string A model alias from [models] in samarinda.toml; default the platform's.
---@field max_tokens? integer 1..1000000; anything else raises an error.
---@field temperature? number 0..2; anything else raises an error.

---@class samarinda.ModelResult
---@field text string
---@field model string The alias or model that answered.
---@field provider string The provider that answered. "offline" means no generative model:
---the answer is extractive; plugins should fall back to their own templates and say so.
---@field usage {prompt_tokens: integer, completion_tokens: integer}

---Asks the city's language model. The platform picks the provider by the call's
---classification, redacts personal data for external providers and counts tokens
---against the department's budget.
---@param prompt string
---@param options? samarinda.ModelOptions
---@return samarinda.ModelResult|nil result
---@return string|nil error No provider available, budget exhausted, timeout …
function samarinda.model.generate(prompt, options) end

---@class samarinda.ChatMessage
---@field role "system"|"user"|"assistant"
---@field content string

---A chat completion over a list of messages.
---@param messages samarinda.ChatMessage[]
---@param options? samarinda.ModelOptions
---@return samarinda.ModelResult|nil result
---@return string|nil error
function samarinda.model.chat(messages, options) end

-- {====== kv ======}

---The plugin's own persistent key/value store (in the platform's SQLite file).
---Keys: 1..256 bytes. Values: any JSON-convertible Lua value up to 1 MiB.
---At most 100 000 keys per plugin. Other plugins cannot see these keys.
---@class samarinda.kv
samarinda.kv = {}

---@param key string
---@return any value nil when absent.
function samarinda.kv.get(key) end

---@param key string
---@param value any Tables, strings, numbers, booleans (no functions).
---@return true|nil ok
---@return string|nil error E.g. value too large.
function samarinda.kv.set(key, value) end

---@param key string
---@return boolean deleted Whether the key existed.
function samarinda.kv.delete(key) end

---Adds `delta` to the integer at `key` (0 when absent) and returns the new value, atomically:
---concurrent calls, from this server or a `plugin run` beside it, never lose an update. Raises an
---error when the stored value is not an integer, `delta` is not a whole number, or the result
---would pass ±9007199254740991.
---@param key string
---@param delta? integer Default 1; may be negative.
---@return integer value
function samarinda.kv.incr(key, delta) end

---Compare-and-set: reads the value at `key` (nil when absent), calls `fn(old)` and stores what it
---returns (nil deletes the key) only if the stored value is still the one read; otherwise it reads
---again and calls `fn` again, at most 16 times, then raises `{code = "conflict"}` (HTTP 409). So
---`fn` must have no effects other than its result; it may call other host functions. Atomic
---across calls, servers and `plugin run` processes on the same database. Returns the stored value.
---Raises an error when `fn` is not a function, raises, or returns a value that is not JSON.
---@generic T
---@param key string
---@param fn fun(old: T|nil): T|nil
---@return T|nil value
function samarinda.kv.update(key, fn) end

---Keys starting with `prefix`, sorted.
---@param prefix? string Default "" (all keys).
---@param limit? integer A whole number 1..10000, default 1000; anything else raises an error.
---@return string[] keys
function samarinda.kv.keys(prefix, limit) end

-- {====== http ======}

---Outbound HTTP(S), only to hosts the operator granted as `http:<host>` (ports 443/80,
---public addresses only) or `http:<host>:<port>`, or an address granted as `http:10.0.0.5`.
---@class samarinda.http
samarinda.http = {}

---@class samarinda.HttpOptions
---@field headers? table<string, string> Not Host, Content-Length, Connection or forwarding headers (an error).
---@field timeout_ms? integer 1..86400000, shortened to the time left in the call.

---@class samarinda.HttpRequest: samarinda.HttpOptions
---@field method? "GET"|"POST"|"PUT"|"PATCH"|"DELETE"|"HEAD" Default GET.
---@field url string
---@field body? string

---@class samarinda.HttpResponse
---@field status integer
---@field headers table<string, string>
---@field body string

---@param url string http:// or https:// URL on a granted host.
---@param options? samarinda.HttpOptions
---@return samarinda.HttpResponse|nil response
---@return string|nil error
function samarinda.http.get(url, options) end

---@param url string
---@param body string
---@param options? samarinda.HttpOptions
---@return samarinda.HttpResponse|nil response
---@return string|nil error
function samarinda.http.post(url, body, options) end

---@param request samarinda.HttpRequest
---@return samarinda.HttpResponse|nil response
---@return string|nil error
function samarinda.http.request(request) end

-- {====== pii ======}

---@class samarinda.pii
samarinda.pii = {}

---@class samarinda.Redaction
---@field text string The text with personal data replaced by placeholders such as [NIK_1].
---@field counts table<string, integer> Kind → how many were replaced, e.g. {nik = 1, phone = 2}.

---Replaces Indonesian personal data (NIK, KK, NPWP, phone numbers, e-mail, bank accounts …).
---@param text string
---@return samarinda.Redaction|nil result
---@return string|nil error When it fails, do not send the text anywhere.
function samarinda.pii.redact(text) end

-- {====== audit ======}

---@class samarinda.audit
samarinda.audit = {}

---Adds a `plugin.note` entry to the tamper-evident audit trail.
---@param message string At most 2000 characters.
---@param fields? table<string, string|number|boolean> At most 30 fields of 500 characters.
---@return true|nil ok
---@return string|nil error
function samarinda.audit.note(message, fields) end

-- {====== base library changes ======}

---In plugins, print writes an info line to the plugin log.
---@param ... any
function print(...) end

-- {====== os: only the clock and the calendar ======}
-- The sandbox keeps os.time, os.date and os.clock; .luarc.json disables the rest of `os` so the
-- editor does not offer os.execute. os.date uses the server's local time zone (WITA, UTC+8, on the
-- city's servers); "!%Y-%m-%d" gives UTC.

---@class samarinda.os
os = {}

---@param date? {year: integer, month: integer, day: integer, hour?: integer, min?: integer, sec?: integer}
---@return integer seconds Since the epoch.
function os.time(date) end

---@param format? string As C strftime; "*t" (or "!*t" for UTC) returns a table.
---@param time? integer
---@return string|osdate
function os.date(format, time) end

---@return number seconds CPU time used by the process.
function os.clock() end
