#ifndef CLUA_INTERNAL_H
#define CLUA_INTERNAL_H
/* Shared by the shim's C files (clua.c, clua_pattern.c); not part of the
   interface the Swift side sees (that is include/clua.h). */
#include "clua.h"

/* Counts `weight` steps of a C loop that hooks do not interrupt, and every
   4096 steps checks the call's deadlines (raising the kill when one passed). */
void clua_tick(lua_State *L, unsigned weight);

/* string.find, match, gmatch and gsub over the step-counting matcher. */
int clua_str_find(lua_State *L);
int clua_str_match(lua_State *L);
int clua_str_gmatch(lua_State *L);
int clua_str_gsub(lua_State *L);

#endif
