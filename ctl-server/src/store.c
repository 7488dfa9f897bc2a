// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "log.h"
#include "store.h"

struct store {
	sqlite3 *db;
	int lock_fd;		/* holds the single-writer lock */
	sqlite3_stmt *insert, *set_expiry, *delete, *set_orphaned;
};

/*
 * WAL with synchronous=FULL: a commit returns only once the WAL is on
 * stable storage, so an allocation the API has answered survives a crash
 * or power loss. NORMAL would only survive a crash of ctld itself.
 */
static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=FULL;"
	"CREATE TABLE IF NOT EXISTS allocations ("
	" id TEXT PRIMARY KEY, owner TEXT NOT NULL, network TEXT NOT NULL,"
	" relay TEXT NOT NULL, address TEXT NOT NULL,"
	" port_a INTEGER NOT NULL, port_b INTEGER NOT NULL,"
	" allow_a TEXT, allow_b TEXT,"
	" created INTEGER NOT NULL, expires INTEGER NOT NULL, idem TEXT);";

/*
 * Added after the first release: a database from before gets the column.
 * A client's Idempotency-Key names one allocation at most.
 */
static const char migrate_idem[] =
	"ALTER TABLE allocations ADD COLUMN idem TEXT;";
/* Since when an allocation waits, off its relay (NULL: placed). */
static const char migrate_orphaned[] =
	"ALTER TABLE allocations ADD COLUMN orphaned INTEGER;";
static const char idem_index[] =
	"CREATE UNIQUE INDEX IF NOT EXISTS allocations_idem ON allocations (owner, idem)"
	" WHERE idem IS NOT NULL;";

static bool has_column(sqlite3 *db, const char *table, const char *column)
{
	sqlite3_stmt *st;
	bool found = false;
	char sql[128];

	snprintf(sql, sizeof(sql), "PRAGMA table_info(%s)", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL))
		return false;
	while (sqlite3_step(st) == SQLITE_ROW)
		if (!strcmp((const char *)sqlite3_column_text(st, 1), column))
			found = true;
	sqlite3_finalize(st);
	return found;
}

/*
 * One database, one writer: ports are chosen from memory, so a second ctld
 * on the same file would hand out the same ports. A flock() on the file
 * (independent of SQLite's own fcntl() locks, and released when the
 * process dies however it dies) keeps the second one out.
 */
static int lock_store(struct store *s, const char *path, char *err, size_t errlen)
{
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lock_fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB)) {
		snprintf(err, errlen, "%s: %s", path, errno == EWOULDBLOCK ?
			 "in use by another xrelay-ctld; one database has one writer" :
			 strerror(errno));
		return -1;
	}
	return 0;
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
	struct store *s = xcalloc(1, sizeof(*s));
	char *msg = NULL;

	s->lock_fd = -1;
	if (lock_store(s, path, err, errlen)) {
		store_close(s);
		return NULL;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	if (!has_column(s->db, "allocations", "idem") &&
	    sqlite3_exec(s->db, migrate_idem, NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	if (!has_column(s->db, "allocations", "orphaned") &&
	    sqlite3_exec(s->db, migrate_orphaned, NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	if (sqlite3_exec(s->db, idem_index, NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO allocations (id, owner, network, relay, address, port_a,"
			       " port_b, allow_a, allow_b, created, expires, idem)"
			       " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &s->insert, NULL) ||
	    sqlite3_prepare_v2(s->db, "UPDATE allocations SET expires=? WHERE id=?",
			       -1, &s->set_expiry, NULL) ||
	    sqlite3_prepare_v2(s->db, "DELETE FROM allocations WHERE id=?",
			       -1, &s->delete, NULL) ||
	    sqlite3_prepare_v2(s->db, "UPDATE allocations SET orphaned=? WHERE id=?",
			       -1, &s->set_orphaned, NULL))
		goto fail;
	return s;
fail:
	snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
	store_close(s);
	return NULL;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->insert);
	sqlite3_finalize(s->set_expiry);
	sqlite3_finalize(s->delete);
	sqlite3_finalize(s->set_orphaned);
	sqlite3_close(s->db);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s);
}

const char *store_error(struct store *s)
{
	return sqlite3_errmsg(s->db);
}

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void bind_prefix(sqlite3_stmt *st, int col, bool has, const struct prefix *p)
{
	char buf[NETADDR_STRLEN];

	if (!has) {
		sqlite3_bind_null(st, col);
		return;
	}
	prefix_format(p, buf);
	sqlite3_bind_text(st, col, buf, -1, SQLITE_TRANSIENT);
}

int store_insert(struct store *s, const struct alloc *a)
{
	sqlite3_stmt *st = s->insert;
	char addr[NETADDR_STRLEN];

	addr_format(&a->addr, addr);
	sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->network, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->relay, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, addr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 6, a->port_a);
	sqlite3_bind_int(st, 7, a->port_b);
	bind_prefix(st, 8, a->has_allow_a, &a->allow_a);
	bind_prefix(st, 9, a->has_allow_b, &a->allow_b);
	sqlite3_bind_int64(st, 10, a->created);
	sqlite3_bind_int64(st, 11, a->expires);
	if (a->idem)
		sqlite3_bind_text(st, 12, a->idem, -1, SQLITE_STATIC);
	return step_done(st);
}

int store_set_expiry(struct store *s, const char *id, int64_t expires)
{
	sqlite3_bind_int64(s->set_expiry, 1, expires);
	sqlite3_bind_text(s->set_expiry, 2, id, -1, SQLITE_STATIC);
	return step_done(s->set_expiry);
}

int store_set_orphaned(struct store *s, const char *id, int64_t when)
{
	if (when)
		sqlite3_bind_int64(s->set_orphaned, 1, when);
	sqlite3_bind_text(s->set_orphaned, 2, id, -1, SQLITE_STATIC);
	return step_done(s->set_orphaned);
}

int store_delete(struct store *s, const char *id)
{
	sqlite3_bind_text(s->delete, 1, id, -1, SQLITE_STATIC);
	return step_done(s->delete);
}

static bool column_prefix(sqlite3_stmt *st, int col, struct prefix *p)
{
	const char *t = (const char *)sqlite3_column_text(st, col);

	return t && !prefix_parse(t, p);
}

int store_load(struct store *s, void (*fn)(struct alloc *a, void *arg), void *arg)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT id, owner, network, relay, address, port_a,"
			       " port_b, allow_a, allow_b, created, expires, idem, orphaned"
			       " FROM allocations ORDER BY created, id", -1, &st, NULL))
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct alloc *a = xcalloc(1, sizeof(*a));
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *addr = (const char *)sqlite3_column_text(st, 4);

		if (!id || strlen(id) != ALLOC_ID_LEN || !addr || addr_parse(addr, &a->addr)) {
			log_warn("store: skipping malformed allocation row");
			free(a);
			continue;
		}
		memcpy(a->id, id, ALLOC_ID_LEN + 1);
		a->owner = xstrdup((const char *)sqlite3_column_text(st, 1));
		a->network = xstrdup((const char *)sqlite3_column_text(st, 2));
		a->relay = xstrdup((const char *)sqlite3_column_text(st, 3));
		a->port_a = sqlite3_column_int(st, 5);
		a->port_b = sqlite3_column_int(st, 6);
		a->has_allow_a = column_prefix(st, 7, &a->allow_a);
		a->has_allow_b = column_prefix(st, 8, &a->allow_b);
		a->created = sqlite3_column_int64(st, 9);
		a->expires = sqlite3_column_int64(st, 10);
		if (sqlite3_column_text(st, 11))
			a->idem = xstrdup((const char *)sqlite3_column_text(st, 11));
		a->orphaned_at = sqlite3_column_int64(st, 12);
		fn(a, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}
