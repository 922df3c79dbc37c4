/* Links against libgridwork_ffi.a alone (plus libc, libm, libpthread, libdl) and uses the
 * SQLCipher inside it, as an iOS app linking the xcframework does.
 * usage: staticlib DB KEY write|read
 *   write: creates a table with one row, prints the crypto provider
 *   read:  prints the number of rows (fails with a wrong key) */
#include <stdio.h>
#include <string.h>

typedef struct sqlite3 sqlite3;
int sqlite3_open(const char *path, sqlite3 **db);
int sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                 void *arg, char **err);
int sqlite3_close(sqlite3 *db);
char *sqlite3_mprintf(const char *format, ...);

static int first_column(void *out, int n, char **values, char **names) {
    (void)n;
    (void)names;
    snprintf((char *)out, 64, "%s", values[0] ? values[0] : "");
    return 0;
}

static int exec(sqlite3 *db, const char *sql, char *out) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, out ? first_column : NULL, out, &err) != 0) {
        fprintf(stderr, "%s: %s\n", sql, err ? err : "error");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    sqlite3 *db = NULL;
    char answer[64] = "";
    if (argc != 4 || sqlite3_open(argv[1], &db) != 0) return 2;
    if (exec(db, sqlite3_mprintf("PRAGMA key = %Q", argv[2]), NULL)) return 3;
    if (strcmp(argv[3], "write") == 0) {
        if (exec(db, "CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('kept secret')", NULL))
            return 4;
        if (exec(db, "PRAGMA cipher_provider", answer)) return 5;
    } else if (exec(db, "SELECT count(*) FROM t", answer)) {
        return 6;
    }
    printf("%s\n", answer);
    sqlite3_close(db);
    return 0;
}
