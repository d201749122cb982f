/*
** The Lua sandbox shim of Samarinda.ai.
**
** Everything here is C because it may raise Lua errors (longjmp), and no
** longjmp may ever cross a Swift frame. The Swift side only calls functions
** that never raise; Swift host functions return a status that the trampoline
** below turns into lua_error or lua_yieldk.
**
** The sandbox rules (see docs/ARCHITECTURE.md and docs/PLUGINS.md, learned from Redis, MediaWiki
** LuaSandbox, Luau and OpenResty):
**   - allowlisted libraries and base functions only, text chunks only;
**   - memory limit in the allocator, CPU and wall-clock limits in a count
**     hook, and a watchdog (clua_interrupt) that at the deadline hooks every
**     call of the running thread, so C functions used as metamethods (which
**     run no VM instruction) are stopped too; a kill stays set for the rest of the call and is raised again by
**     every wrapped pcall/xpcall/coroutine.resume, so it cannot be swallowed;
**   - xpcall's handler runs as ordinary (hooked) code, __gc is refused;
**   - C loops that hooks cannot interrupt (string.rep, pattern matching,
**     table.move/insert/remove) are bounded or count steps themselves.
*/
#include "clua_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static clua_Dispatch g_dispatch = NULL;
static char host_yield_marker;   /* address is the marker of a host request */
static char roots_key;           /* registry: call coroutines owned by the host */
static char inhost_key;          /* registry (weak keys): threads suspended in a host call */

void clua_set_dispatch(clua_Dispatch dispatch) { g_dispatch = dispatch; }

int64_t clua_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t clua_cpu_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

clua_Sandbox *clua_sandbox(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (clua_Sandbox *)ud;
}
#define SB(L) clua_sandbox(L)

/* {====== Allocator ======} */

/* With ptr == NULL, osize is a type tag, not a size: only a real block has an
   old size. Only growth is refused: Lua assumes shrinking never fails. While
   a host function runs (in_host) nothing is refused, because a failing
   allocation there would longjmp over Swift; the trampoline checks the total
   afterwards instead. */
static void *sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    clua_Sandbox *S = (clua_Sandbox *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        S->used -= old;
        return NULL;
    }
    if (nsize > old && S->enforce && !S->in_host && S->used + (nsize - old) > S->limit)
        return NULL; /* Lua runs an emergency GC and retries before raising LUA_ERRMEM */
    void *p = realloc(ptr, nsize);
    if (p == NULL) return NULL;
    S->used = S->used - old + nsize;
    if (S->used > S->peak) S->peak = S->used;
    return p;
}

/* {====== Kills ======} */

static const char *kill_message(int kill) {
    switch (kill) {
    case CLUA_KILL_CPU: return "samarinda: CPU limit exceeded";
    case CLUA_KILL_MEMORY: return "samarinda: memory limit exceeded";
    case CLUA_KILL_TIMEOUT: return "samarinda: wall-clock timeout";
    default: return "samarinda: call stopped";
    }
}

static int raise_kill(lua_State *L) {
    clua_Sandbox *S = SB(L);
    S->in_host++; /* the message must be allocatable even at the memory limit */
    lua_pushstring(L, kill_message(S->kill));
    S->in_host--;
    return lua_error(L);
}

/* Sets the kill when a deadline passed: the wall clock, or the CPU time of the thread running the
   call (so a busy machine slows a plugin down but does not use up its budget). */
static void note_deadlines(clua_Sandbox *S) {
    if (S->kill) return;
    if (S->wall_deadline && clua_now_ns() >= S->wall_deadline) S->kill = CLUA_KILL_TIMEOUT;
    else if (S->cpu_deadline && clua_cpu_now_ns() >= S->cpu_deadline) S->kill = CLUA_KILL_CPU;
}

/* Sets the kill when a deadline passed, and raises it while it is set. */
static void check_deadline(lua_State *L) {
    clua_Sandbox *S = SB(L);
    note_deadlines(S);
    if (S->kill) raise_kill(L);
}

#define COUNT_HOOK_EVERY 1000

/* Fires every 1000 VM instructions in every thread of the state (coroutines
   inherit it from the thread that creates them), and on every call and
   instruction of a thread clua_interrupt armed. */
static void count_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    check_deadline(L);
    /* Still alive: an armed thread that outlived its call (a coroutine kept in a
       global) goes back to the ordinary hook. */
    if (lua_gethookmask(L) != LUA_MASKCOUNT || lua_gethookcount(L) != COUNT_HOOK_EVERY)
        lua_sethook(L, count_hook, LUA_MASKCOUNT, COUNT_HOOK_EVERY);
}

void clua_set_running(clua_Sandbox *S, lua_State *co) {
    pthread_mutex_lock(&S->watch);
    S->running = co;
    pthread_mutex_unlock(&S->watch);
}

int clua_interrupt(clua_Sandbox *S) {
    pthread_mutex_lock(&S->watch);
    lua_State *co = S->running;
    /* Under the lock the thread cannot finish its resume, so it is alive. */
    if (co) lua_sethook(co, count_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT, 1);
    pthread_mutex_unlock(&S->watch);
    return co != NULL;
}

/* For C loops that hooks do not interrupt. */
void clua_tick(lua_State *L, unsigned weight) {
    clua_Sandbox *S = SB(L);
    S->steps += weight;
    if (S->steps >= 4096) {
        S->steps = 0;
        check_deadline(L);
    }
}

/* After anything that catches errors: a memory error ends the call, and a kill is raised again. */
static void after_protected(lua_State *L, int status) {
    clua_Sandbox *S = SB(L);
    if (status == LUA_ERRMEM && !S->kill) S->kill = CLUA_KILL_MEMORY;
    if (S->kill) raise_kill(L);
}

/* {====== Host-owned threads ======} */

static int flagged(lua_State *L, void *key, int idx) {
    idx = lua_absindex(L, idx);
    lua_rawgetp(L, LUA_REGISTRYINDEX, key);
    lua_pushvalue(L, idx);
    int set = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
    return set;
}

static void set_flag(lua_State *L, void *key, int on) {
    clua_Sandbox *S = SB(L);
    S->in_host++;
    lua_rawgetp(L, LUA_REGISTRYINDEX, key);
    lua_pushthread(L);
    if (on) lua_pushboolean(L, 1); else lua_pushnil(L);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    S->in_host--;
}

/* A plugin must not resume (or close) a call coroutine, or a thread waiting
   for a host answer: that would feed it forged host results. */
static void refuse_host_owned(lua_State *L, int idx) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &roots_key);
    int root = lua_rawgetp(L, -1, lua_tothread(L, idx)) != LUA_TNIL;
    lua_pop(L, 2);
    if (root || flagged(L, &inhost_key, idx))
        luaL_error(L, "cannot resume a coroutine owned by the host");
}

/* {====== Host function trampoline ======} */

static int host_continue(lua_State *L, int status, lua_KContext base) {
    (void)status;
    set_flag(L, &inhost_key, 0);
    if (SB(L)->kill) raise_kill(L);
    return lua_gettop(L) - (int)base;
}

static int host_call(lua_State *L, int fnid) {
    clua_Sandbox *S = SB(L);
    if (g_dispatch == NULL) return luaL_error(L, "samarinda: host functions are not available");
    S->in_host++;
    int r = g_dispatch(L, S->host, fnid);
    S->in_host--;
    if (S->enforce && S->used > S->limit && !S->kill) S->kill = CLUA_KILL_MEMORY;
    note_deadlines(S); /* host work (a conversion, a database write) counts against the call's time too */
    if (S->kill) return raise_kill(L);
    if (r >= 0) return r;
    if (r == CLUA_HOST_YIELD) {
        /* The dispatcher checked lua_isyieldable and left a request token on top. */
        lua_pushlightuserdata(L, &host_yield_marker);
        lua_insert(L, -2);
        set_flag(L, &inhost_key, 1);
        return lua_yieldk(L, 2, (lua_KContext)(lua_gettop(L) - 2), host_continue);
    }
    return lua_error(L);
}

static int host_trampoline(lua_State *L) {
    return host_call(L, (int)lua_tointeger(L, lua_upvalueindex(1)));
}

/* {====== Base library wrappers ======} */

static int finish_pcall(lua_State *L, int status, lua_KContext extra) {
    after_protected(L, status);
    if (status != LUA_OK && status != LUA_YIELD) {
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    return lua_gettop(L) - (int)extra;
}

static int sb_pcall(lua_State *L) {
    luaL_checkany(L, 1);
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    int status = lua_pcallk(L, lua_gettop(L) - 2, LUA_MULTRET, 0, 0, finish_pcall);
    return finish_pcall(L, status, 0);
}

static int finish_xpcall_handler(lua_State *L, int status, lua_KContext extra) {
    (void)status; (void)extra;
    if (SB(L)->kill) raise_kill(L);
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
}

static int finish_xpcall(lua_State *L, int status, lua_KContext extra) {
    after_protected(L, status);
    if (status != LUA_OK && status != LUA_YIELD) {
        /* Stock Lua runs the handler while unwinding, where a runaway handler
           is hard to stop; here it runs afterwards as ordinary hooked code.
           Stack: f, handler, true, err. */
        lua_pushvalue(L, 2);
        lua_insert(L, -2);
        lua_callk(L, 1, 1, 0, finish_xpcall_handler);
        return finish_xpcall_handler(L, LUA_OK, 0);
    }
    return lua_gettop(L) - (int)extra;
}

static int sb_xpcall(lua_State *L) {
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 1);
    lua_rotate(L, 3, 2); /* f, handler, true, f, args... */
    int status = lua_pcallk(L, n - 2, LUA_MULTRET, 0, 2, finish_xpcall);
    return finish_xpcall(L, status, 2);
}

/* __gc finalizers run with hooks off (an endless one could never be
   stopped), so a metatable with __gc is refused. Lua marks an object for
   finalization only when its metatable has __gc at setmetatable time. */
static int sb_setmetatable(lua_State *L) {
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        int has = lua_rawget(L, 2) != LUA_TNIL;
        lua_pop(L, 1);
        if (has) return luaL_error(L, "setmetatable: __gc finalizers are not allowed in plugins");
    }
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

/* Text chunks only: bytecode can break the VM's invariants. */
static int sb_load(lua_State *L) {
    size_t len;
    if (lua_type(L, 1) != LUA_TSTRING)
        return luaL_error(L, "load: only source code strings are accepted in plugins");
    const char *s = lua_tolstring(L, 1, &len);
    const char *chunkname = luaL_optstring(L, 2, "=(load)");
    int env = !lua_isnone(L, 4) ? 4 : 0;
    int status = luaL_loadbufferx(L, s, len, chunkname, "t");
    after_protected(L, status);
    if (status == LUA_OK) {
        if (env) {
            lua_pushvalue(L, env);
            if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
        }
        return 1;
    }
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
}

static int sb_collectgarbage(lua_State *L) {
    const char *opt = luaL_optstring(L, 1, "collect");
    if (strcmp(opt, "count") != 0)
        return luaL_error(L, "collectgarbage: only \"count\" is allowed in plugins");
    int k = lua_gc(L, LUA_GCCOUNT, 0);
    int b = lua_gc(L, LUA_GCCOUNTB, 0);
    lua_pushnumber(L, (lua_Number)k + ((lua_Number)b / 1024));
    return 1;
}

/* print goes to the plugin's log, never to the process's stdout. */
static int sb_print(lua_State *L) {
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        luaL_tolstring(L, i, NULL);
        if (i > 1) luaL_addchar(&b, '\t');
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    lua_replace(L, 1);
    lua_settop(L, 1);
    return host_call(L, (int)lua_tointeger(L, lua_upvalueindex(1)));
}

/* {====== Coroutines ======} */

/* Resumes co with narg values from L's top. Returns the number of results
   moved to L, or -1 with the error value on top. */
static int resume_into(lua_State *L, lua_State *co, int narg) {
    if (co == L) { lua_pushliteral(L, "cannot resume non-suspended coroutine"); return -1; }
    int status = lua_status(co);
    if (status == LUA_OK) {
        lua_Debug ar;
        if (lua_getstack(co, 0, &ar)) { lua_pushliteral(L, "cannot resume non-suspended coroutine"); return -1; }
        if (lua_gettop(co) == 0) { lua_pushliteral(L, "cannot resume dead coroutine"); return -1; }
    } else if (status != LUA_YIELD) {
        lua_pushliteral(L, "cannot resume dead coroutine");
        return -1;
    }
    if (!lua_checkstack(co, narg)) { lua_pushliteral(L, "too many arguments to resume"); return -1; }
    lua_xmove(L, co, narg);
    int nres = 0;
    clua_set_running(SB(L), co);
    status = lua_resume(co, L, narg, &nres);
    clua_set_running(SB(L), L);
    if (status == LUA_ERRMEM && !SB(L)->kill) SB(L)->kill = CLUA_KILL_MEMORY;
    if (SB(L)->kill) {
        lua_settop(co, 0);
        raise_kill(L);
    }
    if (status == LUA_OK || status == LUA_YIELD) {
        if (!lua_checkstack(L, nres + 1)) {
            lua_pop(co, nres);
            lua_pushliteral(L, "too many results to resume");
            return -1;
        }
        lua_xmove(co, L, nres);
        return nres;
    }
    lua_xmove(co, L, 1);
    return -1;
}

static int resume_continue(lua_State *L, int status, lua_KContext ctx);

/* A host request made inside a plugin's own coroutine is passed up to the
   driver (yielding this thread too), and its answer is passed back down. */
static int resume_step(lua_State *L, lua_State *co, int narg, int is_wrap) {
    int r = resume_into(L, co, narg);
    if (r < 0) {
        if (is_wrap) return lua_error(L);
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    if (r >= 1 && lua_touserdata(L, -r) == &host_yield_marker)
        return lua_yieldk(L, r, (lua_KContext)is_wrap, resume_continue);
    if (is_wrap) return r;
    lua_pushboolean(L, 1);
    lua_insert(L, -(r + 1));
    return r + 1;
}

static int resume_continue(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    int is_wrap = (int)ctx;
    if (SB(L)->kill) raise_kill(L);
    lua_State *co = is_wrap ? lua_tothread(L, lua_upvalueindex(1)) : lua_tothread(L, 1);
    return resume_step(L, co, lua_gettop(L) - (is_wrap ? 0 : 1), is_wrap);
}

static int sb_resume(lua_State *L) {
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co, 1, "coroutine");
    refuse_host_owned(L, 1);
    return resume_step(L, co, lua_gettop(L) - 1, 0);
}

static int sb_wrap_call(lua_State *L) {
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    refuse_host_owned(L, lua_upvalueindex(1));
    return resume_step(L, co, lua_gettop(L), 1);
}

static int sb_wrap(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushcclosure(L, sb_wrap_call, 1);
    return 1;
}

static int sb_coclose(lua_State *L) {
    luaL_argexpected(L, lua_tothread(L, 1), 1, "coroutine");
    refuse_host_owned(L, 1);
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    if (SB(L)->kill) raise_kill(L);
    return lua_gettop(L);
}

/* {====== Bounded string and table functions ======} */

static int sb_rep(lua_State *L) {
    size_t l, lsep;
    const char *s = luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    const char *sep = luaL_optlstring(L, 3, "", &lsep);
    /* Stock string.rep loops n times even when the result is empty, and
       allocates before any limit check can tell the plugin why. */
    if (n <= 0 || l + lsep == 0) { lua_pushliteral(L, ""); return 1; }
    clua_Sandbox *S = SB(L);
    size_t room = S->limit > S->used ? S->limit - S->used : 0;
    if ((lua_Unsigned)n > room / (l + lsep) + 1) {
        S->kill = CLUA_KILL_MEMORY; /* the same as running out while building it */
        return raise_kill(L);
    }
    size_t total = l * (size_t)n + lsep * (size_t)(n - 1);
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, total);
    for (lua_Integer i = 0; i < n; i++) {
        memcpy(p, s, l); p += l;
        if (lsep > 0 && i + 1 < n) { memcpy(p, sep, lsep); p += lsep; }
    }
    luaL_pushresultsize(&b, total);
    return 1;
}

static int sb_tinsert(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer e = luaL_len(L, 1) + 1; /* first empty slot */
    lua_Integer pos;
    switch (lua_gettop(L)) {
    case 2: pos = e; break;
    case 3:
        pos = luaL_checkinteger(L, 2);
        luaL_argcheck(L, (lua_Unsigned)pos - 1u < (lua_Unsigned)e, 2, "position out of bounds");
        for (lua_Integer i = e; i > pos; i--) {
            clua_tick(L, 1);
            lua_geti(L, 1, i - 1);
            lua_seti(L, 1, i);
        }
        break;
    default: return luaL_error(L, "wrong number of arguments to 'insert'");
    }
    lua_seti(L, 1, pos);
    return 0;
}

static int sb_tremove(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer size = luaL_len(L, 1);
    lua_Integer pos = luaL_optinteger(L, 2, size);
    if (pos != size)
        luaL_argcheck(L, (lua_Unsigned)pos - 1u <= (lua_Unsigned)size, 2, "position out of bounds");
    lua_geti(L, 1, pos);
    for (; pos < size; pos++) {
        clua_tick(L, 1);
        lua_geti(L, 1, pos + 1);
        lua_seti(L, 1, pos);
    }
    lua_pushnil(L);
    lua_seti(L, 1, pos);
    return 1;
}

static int sb_tmove(lua_State *L) {
    lua_Integer f = luaL_checkinteger(L, 2);
    lua_Integer e = luaL_checkinteger(L, 3);
    lua_Integer t = luaL_checkinteger(L, 4);
    int tt = !lua_isnoneornil(L, 5) ? 5 : 1;
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, tt, LUA_TTABLE);
    if (e >= f) {
        luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
        lua_Integer n = e - f + 1;
        luaL_argcheck(L, t <= LUA_MAXINTEGER - n + 1, 4, "destination wrap around");
        if (t > e || t <= f || (tt != 1 && !lua_compare(L, 1, tt, LUA_OPEQ))) {
            for (lua_Integer i = 0; i < n; i++) {
                clua_tick(L, 1);
                lua_geti(L, 1, f + i);
                lua_seti(L, tt, t + i);
            }
        } else {
            for (lua_Integer i = n - 1; i >= 0; i--) {
                clua_tick(L, 1);
                lua_geti(L, 1, f + i);
                lua_seti(L, tt, t + i);
            }
        }
    }
    lua_pushvalue(L, tt);
    return 1;
}

/* {====== Measuring values for JSON ======} */

static int json_cost(lua_State *L, int idx, long *values, long *bytes, int depth) {
    size_t len = 0;
    if (--*values < 0) return 1;
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: lua_tolstring(L, idx, &len); *bytes -= (long)len + 2; break;
    case LUA_TNUMBER: *bytes -= 24; break;
    case LUA_TTABLE: {
        if (depth <= 0) return 3;
        if (!lua_checkstack(L, 3)) return 3;
        *bytes -= 2;
        idx = lua_absindex(L, idx);
        lua_pushnil(L);
        while (lua_next(L, idx) != 0) {
            int r = json_cost(L, -1, values, bytes, depth - 1);
            if (r == 0) r = json_cost(L, -2, values, bytes, depth - 1);
            if (r != 0) { lua_pop(L, 2); return r; }
            lua_pop(L, 1);
        }
        break;
    }
    default: *bytes -= 5; break;
    }
    return *bytes < 0 ? 2 : 0;
}

int clua_json_cost(lua_State *L, int idx, long *values, long *bytes, int max_depth) {
    return json_cost(L, idx, values, bytes, max_depth);
}

/* {====== Opening the sandbox ======} */

static int panic(lua_State *L) {
    /* Only reachable through a bug in this shim: an error outside any protected call. */
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(not a string)";
    fprintf(stderr, "samarinda: unprotected Lua error in the plugin sandbox: %s\n", msg);
    abort();
}

static void set_cfunction(lua_State *L, int table, const char *name, lua_CFunction f) {
    lua_pushcfunction(L, f);
    lua_setfield(L, table, name);
}

/* Replaces table[name] with a closure that keeps the original as upvalue 1. */
static void wrap_field(lua_State *L, int table, const char *name, lua_CFunction f) {
    lua_getfield(L, table, name);
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, table, name);
}

/* Sets the fields of the library globals[lib] to funcs (a NULL function
   removes the field: luaL_setfuncs sets it to false, so set nil instead). */
static void replace_funcs(lua_State *L, int g, const char *lib, const luaL_Reg *funcs) {
    lua_getfield(L, g, lib);
    for (const luaL_Reg *f = funcs; f->name; f++) {
        if (f->func) lua_pushcfunction(L, f->func); else lua_pushnil(L);
        lua_setfield(L, -2, f->name);
    }
    lua_pop(L, 1);
}

static void open_lib(lua_State *L, const char *name, lua_CFunction open) {
    luaL_requiref(L, name, open, 1);
    lua_pop(L, 1);
}

/* {====== The base library, by allowlist ======}
** As Redis does (script_lua.c, lua_builtins_allow_list): allowlists kept as
** data. Left out of the base library: dofile and loadfile (files), warn
** (writes to the process's stderr once switched on), and pcall, xpcall, load
** and collectgarbage, which the sandbox supplies itself (kills cannot be
** swallowed, text chunks only, "count" only). print is set per plugin by
** clua_host_begin (to the plugin's log). The other libraries are allowlisted
** whole in clua_open: string, table, math, utf8, coroutine, and os reduced to
** its clock and calendar; no io, package, require or debug. */
static const char *const base_allow_list[] = {
    "assert", "error", "getmetatable", "ipairs", "next", "pairs", "rawequal", "rawget", "rawlen",
    "rawset", "select", "setmetatable", "tonumber", "tostring", "type", "_VERSION", NULL};

/* Opens the base library into the state's first global table, copies the
   allowlisted names into a new table and makes that the globals (with _G).
   Leaves the new globals on the stack and returns its index. */
static int open_base_by_allow_list(lua_State *L) {
    lua_pushcfunction(L, luaopen_base);
    lua_call(L, 0, 1); /* the scratch table, holding the whole base library */
    int full = lua_gettop(L);
    lua_newtable(L);
    int g = lua_gettop(L);
    for (int i = 0; base_allow_list[i]; i++) {
        lua_getfield(L, full, base_allow_list[i]);
        lua_setfield(L, g, base_allow_list[i]);
    }
    lua_pushvalue(L, g);
    lua_setfield(L, g, LUA_GNAME);
    lua_pushvalue(L, g);
    lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    lua_remove(L, full);
    return lua_gettop(L);
}

lua_State *clua_open(size_t memory_limit, void *host) {
    clua_Sandbox *S = calloc(1, sizeof *S);
    if (S == NULL) return NULL;
    S->limit = memory_limit;
    S->host = host;
    pthread_mutex_init(&S->watch, NULL);
    lua_State *L = lua_newstate(sandbox_alloc, S);
    if (L == NULL) { pthread_mutex_destroy(&S->watch); free(S); return NULL; }
    lua_atpanic(L, panic);

    /* The base library goes into a scratch table, and only the names in
       base_allow_list are copied into the sandbox's own globals (then the
       sandbox's versions of pcall & co are added): a function a new Lua adds
       to the base library (as 5.4 added `warn`) stays out until it is listed. */
    int g = open_base_by_allow_list(L);
    static const luaL_Reg libs[] = {
        {LUA_STRLIBNAME, luaopen_string}, {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8}, {LUA_COLIBNAME, luaopen_coroutine}, {LUA_OSLIBNAME, luaopen_os}, {NULL, NULL}};
    for (const luaL_Reg *lib = libs; lib->name; lib++) open_lib(L, lib->name, lib->func);
    set_cfunction(L, g, "pcall", sb_pcall);
    set_cfunction(L, g, "xpcall", sb_xpcall);
    set_cfunction(L, g, "load", sb_load);
    set_cfunction(L, g, "collectgarbage", sb_collectgarbage);
    wrap_field(L, g, "setmetatable", sb_setmetatable);

    /* os: only the clock and calendar. */
    lua_getfield(L, g, "os");
    int os_full = lua_gettop(L);
    lua_createtable(L, 0, 3);
    static const char *const os_allowed[] = {"time", "date", "clock", NULL};
    for (int i = 0; os_allowed[i]; i++) {
        lua_getfield(L, os_full, os_allowed[i]);
        lua_setfield(L, -2, os_allowed[i]);
    }
    lua_setfield(L, g, "os");
    lua_pop(L, 1);

    /* The sandbox's versions of library functions, as data: bounded or
       step-counting where the stock ones loop in C, wrapped where they could
       reach the host's threads. string.dump is removed (bytecode). */
    static const luaL_Reg string_funcs[] = {
        {"rep", sb_rep}, {"find", clua_str_find}, {"match", clua_str_match}, {"gmatch", clua_str_gmatch},
        {"gsub", clua_str_gsub}, {"dump", NULL}, {NULL, NULL}};
    static const luaL_Reg table_funcs[] = {{"insert", sb_tinsert}, {"remove", sb_tremove}, {"move", sb_tmove}, {NULL, NULL}};
    static const luaL_Reg coroutine_funcs[] = {{"resume", sb_resume}, {"wrap", sb_wrap}, {NULL, NULL}};
    replace_funcs(L, g, LUA_STRLIBNAME, string_funcs);
    replace_funcs(L, g, LUA_TABLIBNAME, table_funcs);
    replace_funcs(L, g, LUA_COLIBNAME, coroutine_funcs);
    lua_getfield(L, g, LUA_COLIBNAME);
    wrap_field(L, lua_gettop(L), "close", sb_coclose);
    lua_pop(L, 1);
    /* The string metatable is shared by every string of the state: lock it so
       `getmetatable("")` cannot reach it. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushliteral(L, "the string metatable is protected");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    lua_pop(L, 1); /* globals */

    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &roots_key);
    lua_newtable(L);
    lua_newtable(L);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &inhost_key);

    /* Threads created later (calls, plugin coroutines) inherit the hook. */
    lua_sethook(L, count_hook, LUA_MASKCOUNT, COUNT_HOOK_EVERY);
    lua_gc(L, LUA_GCGEN, 0, 0);
    return L;
}

void clua_close(lua_State *L) {
    clua_Sandbox *S = SB(L);
    S->enforce = 0;
    lua_close(L);
    pthread_mutex_destroy(&S->watch);
    free(S);
}

int clua_load_text(lua_State *L, const char *buf, size_t len, const char *chunkname) {
    return luaL_loadbufferx(L, buf, len, chunkname, "t");
}

/* {====== The read-only host table ======} */

static char host_table_key;

static int readonly_newindex(lua_State *L) {
    return luaL_error(L, "the samarinda table is read-only");
}

/* samarinda.caller is answered per call by the host; other keys come from the table. */
static int host_index(lua_State *L) {
    if (lua_type(L, 2) == LUA_TSTRING && strcmp(lua_tostring(L, 2), "caller") == 0) {
        lua_settop(L, 0);
        return host_call(L, (int)lua_tointeger(L, lua_upvalueindex(2)));
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

/* A userdata proxy: rawset cannot write to it, and its metatable is locked. */
static void push_readonly_proxy(lua_State *L, int table, lua_CFunction index, int caller_fnid) {
    table = lua_absindex(L, table);
    lua_newuserdatauv(L, 0, 0);
    lua_createtable(L, 0, 4);
    if (index) {
        lua_pushvalue(L, table);
        lua_pushinteger(L, caller_fnid);
        lua_pushcclosure(L, index, 2);
    } else {
        lua_pushvalue(L, table);
    }
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushliteral(L, "the samarinda table is read-only");
    lua_setfield(L, -2, "__metatable");
    lua_pushliteral(L, "samarinda");
    lua_setfield(L, -2, "__name");
    lua_setmetatable(L, -2);
}

void clua_host_begin(lua_State *L, int caller_fnid, int print_fnid) {
    lua_newtable(L);
    lua_pushinteger(L, caller_fnid);
    lua_setfield(L, -2, "\1caller");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &host_table_key);
    lua_pushglobaltable(L);
    lua_pushinteger(L, print_fnid);
    lua_pushcclosure(L, sb_print, 1);
    lua_setfield(L, -2, "print");
    lua_pop(L, 1);
}

void clua_host_add(lua_State *L, const char *group, const char *name, int fnid) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &host_table_key);
    if (group) {
        if (lua_getfield(L, -1, group) != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_newtable(L);
            lua_pushvalue(L, -1);
            lua_setfield(L, -3, group);
        }
    }
    lua_pushinteger(L, fnid);
    lua_pushcclosure(L, host_trampoline, 1);
    lua_setfield(L, -2, name);
    lua_pop(L, group ? 2 : 1);
}

/* Adds group.name as a Lua function: `source` is a chunk called with the given host functions as
   its arguments, returning the function. Used where a host function must call plugin code that may
   itself wait for the host (kv.update's callback), which a C function cannot do across a yield. */
int clua_host_add_lua(lua_State *L, const char *group, const char *name, const char *source,
                      const int *fnids, int count) {
    if (luaL_loadbufferx(L, source, strlen(source), name, "t") != LUA_OK) return 0;
    for (int i = 0; i < count; i++) {
        lua_pushinteger(L, fnids[i]);
        lua_pushcclosure(L, host_trampoline, 1);
    }
    if (lua_pcall(L, count, 1, 0) != LUA_OK || lua_type(L, -1) != LUA_TFUNCTION) {
        lua_pop(L, 1);
        return 0;
    }
    lua_rawgetp(L, LUA_REGISTRYINDEX, &host_table_key);
    if (lua_getfield(L, -1, group) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, group);
    }
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, name);
    lua_pop(L, 3);
    return 1;
}

void clua_host_freeze(lua_State *L) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &host_table_key);
    int top = lua_gettop(L);
    lua_getfield(L, top, "\1caller");
    int caller_fnid = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_pushnil(L);
    lua_setfield(L, top, "\1caller");
    /* Replace each group table with its read-only proxy. */
    lua_newtable(L);
    int frozen = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, top) != 0) {
        if (lua_type(L, -1) == LUA_TTABLE) {
            push_readonly_proxy(L, -1, NULL, 0);
            lua_pushvalue(L, -3);
            lua_insert(L, -2);
            lua_rawset(L, frozen);
            lua_pop(L, 1);
        } else {
            lua_pushvalue(L, -2);
            lua_pushvalue(L, -2);
            lua_rawset(L, frozen);
            lua_pop(L, 1);
        }
    }
    push_readonly_proxy(L, frozen, host_index, caller_fnid);
    lua_setglobal(L, "samarinda");
    lua_settop(L, top - 1);
}

/* {====== Calls ======} */

lua_State *clua_call_begin(lua_State *L) {
    lua_State *co = lua_newthread(L);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &roots_key);
    lua_pushvalue(L, -2);
    lua_rawsetp(L, -2, co);
    lua_pop(L, 2);
    return co;
}

void clua_call_end(lua_State *L, lua_State *co) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &roots_key);
    lua_pushnil(L);
    lua_rawsetp(L, -2, co);
    lua_pop(L, 1);
}

int clua_host_request(lua_State *co, int nres, lua_Integer *token) {
    if (nres != 2 || lua_touserdata(co, -2) != &host_yield_marker) return 0;
    *token = lua_tointeger(co, -1);
    return 1;
}

int clua_push_function_field(lua_State *L, int table_index, const char *name) {
    table_index = lua_absindex(L, table_index);
    lua_pushstring(L, name);
    if (lua_rawget(L, table_index) == LUA_TFUNCTION) return 1;
    lua_pop(L, 1);
    return 0;
}
