#ifndef CLUA_H
#define CLUA_H
#include <lua5.4/lua.h>
#include <lua5.4/lauxlib.h>
#include <lua5.4/lualib.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* The sandbox shim. Everything that may raise a Lua error (longjmp) lives
   here in C: Swift code calls only functions that never raise, and host
   functions written in Swift return a status that a C trampoline turns into
   lua_error or lua_yieldk. See ../../SamarindaPlugins/Sandbox/LuaSandbox.swift. */

/* Why a call was stopped. Once set, the kill stays set for the rest of the
   call: every hook tick, every wrapped pcall/xpcall/coroutine.resume raises
   it again, so plugin code cannot swallow it. */
enum {
    CLUA_KILL_NONE = 0,
    CLUA_KILL_CPU = 1,
    CLUA_KILL_MEMORY = 2,
    CLUA_KILL_TIMEOUT = 3,
};

/* Returned by a host dispatch function instead of a result count. */
enum {
    CLUA_HOST_ERROR = -1, /* error message (a string) is on top: raise it */
    CLUA_HOST_YIELD = -2, /* a request token is on top: yield to the driver */
};

/* Per-state accounting and limits; the allocator's userdata. Swift reads and
   writes these fields between resumes (never while Lua runs). */
typedef struct clua_Sandbox {
    size_t used;          /* bytes currently allocated by this state */
    size_t peak;          /* highest `used` seen */
    size_t limit;         /* allocation limit while `enforce` is set */
    int enforce;          /* 1 while plugin code runs */
    int in_host;          /* >0 while a Swift host function runs: never fail then */
    int kill;             /* CLUA_KILL_* of the running call */
    int64_t cpu_deadline;  /* CPU time of the running thread (clua_cpu_now_ns), ns; 0 = none */
    int64_t wall_deadline; /* monotonic ns; 0 = none */
    unsigned steps;       /* pattern-matching steps since the last deadline check */
    void *host;           /* the Swift LuaSandbox (unretained) */
    /* The watchdog (another thread) and the Lua thread agree on `running` under `watch`. */
    lua_State *running;   /* the thread inside lua_resume now; NULL when no call runs */
    pthread_mutex_t watch;
} clua_Sandbox;

/* The Swift side of host functions: `fnid` says which function was called. */
typedef int (*clua_Dispatch)(lua_State *L, void *host, int fnid);
void clua_set_dispatch(clua_Dispatch dispatch);

/* Creates a sandboxed state (allowlisted libraries, wrapped pcall & co,
   bounded string/table functions, safe string metatable, count hook).
   Returns NULL when even the bare state cannot be allocated. */
lua_State *clua_open(size_t memory_limit, void *host);
void clua_close(lua_State *L);
clua_Sandbox *clua_sandbox(lua_State *L);
int64_t clua_now_ns(void);
/* CPU time used by the calling thread, ns (CLOCK_THREAD_CPUTIME_ID): what `cpu_ms` counts. */
int64_t clua_cpu_now_ns(void);

/* Marks `co` as the thread a host resume runs (NULL when it returned), for clua_interrupt. */
void clua_set_running(clua_Sandbox *S, lua_State *co);
/* The watchdog, from any thread, once a deadline passed: arms a hook on every call and every
   instruction of the running thread (lua_sethook may be called asynchronously), so a call that
   only runs C functions (table.sort with C metamethods, say) is stopped at its next function call.
   Returns 1 when a thread was running. */
int clua_interrupt(clua_Sandbox *S);

/* Measures the value at `idx` as JSON would hold it, with raw accesses only (no metamethod runs,
   nothing raises): every table, key and leaf costs one of *values and about its JSON text in
   *bytes; a table reached twice (shared, or a cycle) is counted twice. Returns 0 when both stayed
   non-negative, 1 when values ran out, 2 when bytes ran out, 3 when tables nest deeper than
   max_depth. Bounds the Lua → JSON conversion before it builds anything. */
int clua_json_cost(lua_State *L, int idx, long *values, long *bytes, int max_depth);

/* Loads a text chunk (never bytecode). Leaves the function or an error message. */
int clua_load_text(lua_State *L, const char *buf, size_t len, const char *chunkname);

/* Host API: `samarinda.<group>.<name>` (group may be NULL for a top-level
   function) calls the dispatcher with `fnid`. clua_freeze_host then publishes
   the table as the read-only global `samarinda`. */
void clua_host_begin(lua_State *L, int caller_fnid, int print_fnid);
void clua_host_add(lua_State *L, const char *group, const char *name, int fnid);
int clua_host_add_lua(lua_State *L, const char *group, const char *name, const char *source, const int *fnids, int count);
void clua_host_freeze(lua_State *L);

/* Calls: a fresh coroutine anchored in the registry until clua_call_end. */
lua_State *clua_call_begin(lua_State *L);
void clua_call_end(lua_State *L, lua_State *co);
/* Whether the values a coroutine yielded are a host request; if so, the token. */
int clua_host_request(lua_State *co, int nres, lua_Integer *token);

/* Pushes registry[ref] (a module table) field `name` if it is a function; returns 1 if pushed. */
int clua_push_function_field(lua_State *L, int table_index, const char *name);

/* {====== Lua macros as functions (Swift cannot call C macros) ======} */
static inline void clua_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline int clua_registry_index(void) { return LUA_REGISTRYINDEX; }
static inline void clua_newtable(lua_State *L) { lua_newtable(L); }
static inline void clua_remove(lua_State *L, int idx) { lua_remove(L, idx); }
static inline lua_Integer clua_tointeger(lua_State *L, int idx) { return lua_tointegerx(L, idx, NULL); }
static inline lua_Number clua_tonumber(lua_State *L, int idx) { return lua_tonumberx(L, idx, NULL); }
static inline void clua_collect(lua_State *L) { lua_gc(L, LUA_GCCOLLECT); }
static inline const char *clua_typename_at(lua_State *L, int idx) { return lua_typename(L, lua_type(L, idx)); }
#endif
