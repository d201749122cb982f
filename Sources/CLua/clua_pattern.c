/*
** Lua 5.4's pattern language for the plugin sandbox: string.find, match,
** gmatch and gsub over a matcher that counts its steps (see below why).
** Split from clua.c so each file holds one concern; the two share only
** clua_internal.h.
*/
#include "clua_internal.h"

#include <ctype.h>
#include <string.h>

/* {====== Pattern matching ======}
** A reimplementation of Lua 5.4's pattern language (same syntax and
** results) whose matcher counts its steps: stock string.find/match/gsub
** backtrack inside C where no hook can stop them, so `("a"):rep(5e4):find(
** ".-.-.-.-b")` would hold a thread for hours. Every 4096 steps the call's
** deadlines are checked.
*/

#define MAXCAPTURES 32
#define MAXMATCHDEPTH 200
#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)
#define ESC '%'
#define SPECIALS "^$*+?.([%-"

typedef struct {
    const char *src_init, *src_end, *p_end;
    lua_State *L;
    int depth;
    int level;
    struct { const char *init; ptrdiff_t len; } capture[MAXCAPTURES];
} Matcher;

static const char *do_match(Matcher *m, const char *s, const char *p);

static int class_matches(int c, int cl) {
    int res;
    switch (tolower(cl)) {
    case 'a': res = isalpha(c); break;
    case 'c': res = iscntrl(c); break;
    case 'd': res = isdigit(c); break;
    case 'g': res = isgraph(c); break;
    case 'l': res = islower(c); break;
    case 'p': res = ispunct(c); break;
    case 's': res = isspace(c); break;
    case 'u': res = isupper(c); break;
    case 'w': res = isalnum(c); break;
    case 'x': res = isxdigit(c); break;
    default: return cl == c;
    }
    if (isupper(cl)) res = !res;
    return res;
}

/* p points at '[', end at the closing ']'. */
static int set_matches(int c, const char *p, const char *end) {
    int found = 1;
    if (*(p + 1) == '^') { found = 0; p++; }
    while (++p < end) {
        if (*p == ESC) {
            p++;
            if (class_matches(c, (unsigned char)*p)) return found;
        } else if (*(p + 1) == '-' && p + 2 < end) {
            p += 2;
            if ((unsigned char)*(p - 2) <= c && c <= (unsigned char)*p) return found;
        } else if ((unsigned char)*p == c) {
            return found;
        }
    }
    return !found;
}

/* The end of the single-character class starting at p. */
static const char *class_end(Matcher *m, const char *p) {
    char c = *p++;
    if (c == ESC) {
        if (p == m->p_end) luaL_error(m->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c == '[') {
        if (*p == '^') p++;
        do {
            if (p == m->p_end) luaL_error(m->L, "malformed pattern (missing ']')");
            if (*(p++) == ESC && p < m->p_end) p++;
        } while (*p != ']');
        return p + 1;
    }
    return p;
}

static int single_matches(Matcher *m, const char *s, const char *p, const char *ep) {
    if (s >= m->src_end) return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.': return 1;
    case ESC: return class_matches(c, (unsigned char)*(p + 1));
    case '[': return set_matches(c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

static const char *match_balance(Matcher *m, const char *s, const char *p) {
    if (p >= m->p_end - 1) luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= m->src_end || *s != *p) return NULL;
    int open = *p, close = *(p + 1), depth = 1;
    while (++s < m->src_end) {
        clua_tick(m->L, 1);
        if (*s == close) { if (--depth == 0) return s + 1; }
        else if (*s == open) depth++;
    }
    return NULL;
}

static const char *max_expand(Matcher *m, const char *s, const char *p, const char *ep) {
    ptrdiff_t i = 0;
    while (single_matches(m, s + i, p, ep)) { i++; clua_tick(m->L, 1); }
    while (i >= 0) {
        const char *res = do_match(m, s + i, ep + 1);
        if (res) return res;
        i--;
    }
    return NULL;
}

static const char *min_expand(Matcher *m, const char *s, const char *p, const char *ep) {
    for (;;) {
        const char *res = do_match(m, s, ep + 1);
        if (res) return res;
        if (!single_matches(m, s, p, ep)) return NULL;
        s++;
    }
}

static const char *start_capture(Matcher *m, const char *s, const char *p, ptrdiff_t what) {
    if (m->level >= MAXCAPTURES) luaL_error(m->L, "too many captures");
    m->capture[m->level].init = s;
    m->capture[m->level].len = what;
    m->level++;
    const char *res = do_match(m, s, p);
    if (res == NULL) m->level--;
    return res;
}

static const char *end_capture(Matcher *m, const char *s, const char *p) {
    int l = -1;
    for (int i = m->level - 1; i >= 0; i--)
        if (m->capture[i].len == CAP_UNFINISHED) { l = i; break; }
    if (l < 0) luaL_error(m->L, "invalid pattern capture");
    m->capture[l].len = s - m->capture[l].init;
    const char *res = do_match(m, s, p);
    if (res == NULL) m->capture[l].len = CAP_UNFINISHED;
    return res;
}

static int capture_index(Matcher *m, int c) {
    int l = c - '1';
    if (l < 0 || l >= m->level || m->capture[l].len == CAP_UNFINISHED)
        return luaL_error(m->L, "invalid capture index %%%d", l + 1);
    return l;
}

static const char *match_capture(Matcher *m, const char *s, int c) {
    int l = capture_index(m, c);
    size_t len = (size_t)m->capture[l].len;
    if ((size_t)(m->src_end - s) >= len && memcmp(m->capture[l].init, s, len) == 0) return s + len;
    return NULL;
}

static const char *do_match(Matcher *m, const char *s, const char *p) {
    if (m->depth-- == 0) luaL_error(m->L, "pattern too complex");
    clua_tick(m->L, 1);
    for (;;) {
        if (p == m->p_end) break;
        if (*p == '(') {
            s = (*(p + 1) == ')') ? start_capture(m, s, p + 2, CAP_POSITION)
                                  : start_capture(m, s, p + 1, CAP_UNFINISHED);
            break;
        }
        if (*p == ')') { s = end_capture(m, s, p + 1); break; }
        if (*p == '$' && p + 1 == m->p_end) { s = (s == m->src_end) ? s : NULL; break; }
        if (*p == ESC && *(p + 1) == 'b') {
            s = match_balance(m, s, p + 2);
            if (s) { p += 4; continue; }
            break;
        }
        if (*p == ESC && *(p + 1) == 'f') {
            p += 2;
            if (*p != '[') luaL_error(m->L, "missing '[' after '%%f' in pattern");
            const char *ep = class_end(m, p);
            int prev = (s == m->src_init) ? '\0' : (unsigned char)*(s - 1);
            int cur = (s < m->src_end) ? (unsigned char)*s : '\0';
            if (!set_matches(prev, p, ep - 1) && set_matches(cur, p, ep - 1)) { p = ep; continue; }
            s = NULL;
            break;
        }
        if (*p == ESC && isdigit((unsigned char)*(p + 1))) {
            s = match_capture(m, s, (unsigned char)*(p + 1));
            if (s) { p += 2; continue; }
            break;
        }
        const char *ep = class_end(m, p);
        if (!single_matches(m, s, p, ep)) {
            if (*ep == '*' || *ep == '?' || *ep == '-') { p = ep + 1; continue; }
            s = NULL;
            break;
        }
        if (*ep == '?') {
            const char *res = do_match(m, s + 1, ep + 1);
            if (res) { s = res; break; }
            p = ep + 1;
            continue;
        }
        if (*ep == '+') { s = max_expand(m, s + 1, p, ep); break; }
        if (*ep == '*') { s = max_expand(m, s, p, ep); break; }
        if (*ep == '-') { s = min_expand(m, s, p, ep); break; }
        s++;
        p = ep;
        clua_tick(m->L, 1);
    }
    m->depth++;
    return s;
}

static void push_capture(Matcher *m, int i, const char *s, const char *e) {
    if (i >= m->level) {
        if (i != 0) luaL_error(m->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(m->L, s, (size_t)(e - s));
        return;
    }
    ptrdiff_t l = m->capture[i].len;
    if (l == CAP_UNFINISHED) luaL_error(m->L, "unfinished capture");
    if (l == CAP_POSITION) lua_pushinteger(m->L, (m->capture[i].init - m->src_init) + 1);
    else lua_pushlstring(m->L, m->capture[i].init, (size_t)l);
}

static int push_captures(Matcher *m, const char *s, const char *e, int whole_if_none) {
    int n = (m->level == 0 && whole_if_none) ? 1 : m->level;
    luaL_checkstack(m->L, n, "too many captures");
    for (int i = 0; i < n; i++) push_capture(m, i, s, e);
    return n;
}

static void matcher_init(Matcher *m, lua_State *L, const char *s, size_t ls, const char *p, size_t lp) {
    m->L = L;
    m->src_init = s;
    m->src_end = s + ls;
    m->p_end = p + lp;
    m->depth = MAXMATCHDEPTH;
    m->level = 0;
}

static void matcher_reset(Matcher *m) {
    m->level = 0;
    m->depth = MAXMATCHDEPTH;
}

static size_t start_offset(lua_Integer pos, size_t len) {
    if (pos > 0) return (size_t)pos;
    if (pos == 0) return 1;
    if (pos < -(lua_Integer)len) return 1;
    return len + (size_t)pos + 1;
}

static const char *plain_find(lua_State *L, const char *s, size_t ls, const char *p, size_t lp) {
    if (lp == 0) return s;
    if (lp > ls) return NULL;
    const char *end = s + (ls - lp) + 1;
    for (const char *q = s; q < end; q++) {
        clua_tick(L, 1 + (unsigned)(lp / 64));
        q = memchr(q, *p, (size_t)(end - q));
        if (q == NULL) return NULL;
        if (memcmp(q, p, lp) == 0) return q;
    }
    return NULL;
}

static int find_aux(lua_State *L, int find) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_offset(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) { lua_pushnil(L); return 1; }
    if (find && (lua_toboolean(L, 4) || strpbrk(p, SPECIALS) == NULL)) {
        const char *hit = plain_find(L, s + init, ls - init, p, lp);
        if (hit) {
            lua_pushinteger(L, (hit - s) + 1);
            lua_pushinteger(L, (hit - s) + (lua_Integer)lp);
            return 2;
        }
        lua_pushnil(L);
        return 1;
    }
    Matcher m;
    const char *s1 = s + init;
    int anchor = (*p == '^');
    if (anchor) { p++; lp--; }
    matcher_init(&m, L, s, ls, p, lp);
    do {
        matcher_reset(&m);
        const char *e = do_match(&m, s1, p);
        if (e) {
            if (find) {
                lua_pushinteger(L, (s1 - s) + 1);
                lua_pushinteger(L, e - s);
                return push_captures(&m, NULL, NULL, 0) + 2;
            }
            return push_captures(&m, s1, e, 1);
        }
    } while (s1++ < m.src_end && !anchor);
    lua_pushnil(L);
    return 1;
}

int clua_str_find(lua_State *L) { return find_aux(L, 1); }
int clua_str_match(lua_State *L) { return find_aux(L, 0); }

/* gmatch iterator upvalues: subject, pattern, next offset, last match end (-1: none). */
static int gmatch_next(lua_State *L) {
    size_t ls, lp;
    const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
    const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
    lua_Integer pos = lua_tointeger(L, lua_upvalueindex(3));
    lua_Integer last = lua_tointeger(L, lua_upvalueindex(4));
    Matcher m;
    matcher_init(&m, L, s, ls, p, lp);
    for (const char *src = s + pos; src <= m.src_end; src++) {
        matcher_reset(&m);
        const char *e = do_match(&m, src, p);
        if (e != NULL && (last < 0 || e != s + last)) {
            lua_pushinteger(L, e - s);
            lua_copy(L, -1, lua_upvalueindex(3));
            lua_replace(L, lua_upvalueindex(4));
            return push_captures(&m, src, e, 1);
        }
    }
    return 0;
}

int clua_str_gmatch(lua_State *L) {
    size_t ls;
    luaL_checklstring(L, 1, &ls);
    luaL_checkstring(L, 2);
    size_t init = start_offset(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) init = ls + 1;
    lua_settop(L, 2);
    lua_pushinteger(L, (lua_Integer)init);
    lua_pushinteger(L, -1);
    lua_pushcclosure(L, gmatch_next, 4);
    return 1;
}

static void add_replacement_string(Matcher *m, luaL_Buffer *b, const char *s, const char *e) {
    size_t l;
    lua_State *L = m->L;
    const char *news = lua_tolstring(L, 3, &l);
    const char *end = news + l;
    for (const char *p = news; p < end; p++) {
        if (*p != ESC) { luaL_addchar(b, *p); continue; }
        p++;
        if (p >= end || *p == ESC) { luaL_addchar(b, ESC); continue; }
        if (*p == '0') { luaL_addlstring(b, s, (size_t)(e - s)); continue; }
        if (isdigit((unsigned char)*p)) {
            push_capture(m, *p - '1', s, e);
            luaL_tolstring(L, -1, NULL);
            lua_remove(L, -2);
            luaL_addvalue(b);
            continue;
        }
        luaL_error(L, "invalid use of '%c' in replacement string", ESC);
    }
}

static void add_replacement(Matcher *m, luaL_Buffer *b, const char *s, const char *e, int tr) {
    lua_State *L = m->L;
    if (tr == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = push_captures(m, s, e, 1);
        lua_call(L, n, 1);
    } else if (tr == LUA_TTABLE) {
        push_capture(m, 0, s, e);
        lua_gettable(L, 3);
    } else {
        add_replacement_string(m, b, s, e);
        return;
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
    } else if (!lua_isstring(L, -1)) {
        luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    } else {
        luaL_addvalue(b);
    }
}

int clua_str_gsub(lua_State *L) {
    size_t ls, lp;
    const char *src = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    const char *lastmatch = NULL;
    int tr = lua_type(L, 3);
    lua_Integer max_n = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    int anchor = (*p == '^');
    lua_Integer n = 0;
    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                     "string/function/table");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (anchor) { p++; lp--; }
    Matcher m;
    matcher_init(&m, L, src, ls, p, lp);
    while (n < max_n) {
        matcher_reset(&m);
        const char *e = do_match(&m, src, p);
        if (e != NULL && e != lastmatch) {
            n++;
            add_replacement(&m, &b, src, e, tr);
            src = lastmatch = e;
        } else if (src < m.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        clua_tick(L, 1);
        if (anchor) break;
    }
    luaL_addlstring(&b, src, (size_t)(m.src_end - src));
    luaL_pushresult(&b);
    lua_pushinteger(L, n);
    return 2;
}
