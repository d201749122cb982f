#ifndef CSQLITE_H
#define CSQLITE_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift
   cannot import: wrap the bind calls that need it. */
static inline int csqlite_bind_text(sqlite3_stmt *s, int i, const char *v, int n) {
    return sqlite3_bind_text(s, i, v, n, SQLITE_TRANSIENT);
}
static inline int csqlite_bind_blob(sqlite3_stmt *s, int i, const void *v, int n) {
    return sqlite3_bind_blob(s, i, v, n, SQLITE_TRANSIENT);
}
/* Registers the platform's SQL functions on a connection (samarinda_bm25, an FTS5 ranking
   function, and samarinda_docsize: see csqlite.c). Returns an SQLite result code. */
int csqlite_register_functions(sqlite3 *db);
/* The journal (WAL) file of the main database, and an fsync of it (see csqlite.c). */
sqlite3_file *csqlite_journal_file(sqlite3 *db);
int csqlite_file_sync(sqlite3_file *file);
#endif
