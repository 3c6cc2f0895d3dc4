package sqlite

import (
	"strconv"
	"strings"
)

// queries are the SQL statements of one table. The table name has been
// checked by validTable, so quoting it is enough to make it safe.
//
// Schema: key BLOB (every key is bound as a BLOB, so any bytes, NUL
// included, round-trip and keys compare bytewise) with its unique index,
// expires INTEGER in unix nanoseconds or NULL for never, with a partial
// index for the sweeps, and value BLOB last. A rowid table rather than
// WITHOUT ROWID, and expires before value, because SQLite reads a row's
// whole payload when it compares index b-tree keys or reaches a column
// past a large value: with megabyte values, a lookup or an expiry check
// would read every overflow page.
type queries struct {
	schema []string

	get, has, set, del string
	count, clear       string
	deleteExpired      string
	sweep              string
	keys, all          string
	scanFrom, scanTo   string // All with a lower, or lower and upper, key bound
	keysFrom, keysTo   string // Keys likewise, in key order
	getManyPrefix      string
}

func newQueries(table string) queries {
	t := `"` + table + `"`
	live := `(expires IS NULL OR expires > ?)`
	return queries{
		schema: []string{
			`CREATE TABLE IF NOT EXISTS ` + t + ` (
	key     BLOB    NOT NULL PRIMARY KEY,
	expires INTEGER,
	value   BLOB    NOT NULL
)`,
			`CREATE INDEX IF NOT EXISTS "` + table + `__expires" ON ` + t + ` (expires) WHERE expires IS NOT NULL`,
		},
		get: `SELECT value FROM ` + t + ` WHERE key = ? AND ` + live,
		has: `SELECT 1 FROM ` + t + ` WHERE key = ? AND ` + live,
		set: `INSERT INTO ` + t + ` (key, value, expires) VALUES (?, ?, ?)
	ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires`,
		del:           `DELETE FROM ` + t + ` WHERE key = ?`,
		count:         `SELECT count(*) FROM ` + t + ` WHERE ` + live,
		clear:         `DELETE FROM ` + t,
		deleteExpired: `DELETE FROM ` + t + ` WHERE expires <= ?`,
		sweep: `DELETE FROM ` + t + ` WHERE rowid IN (SELECT rowid FROM ` + t +
			` WHERE expires <= ? ORDER BY expires LIMIT ` + strconv.Itoa(sweepBatch) + `)`,
		keys:          `SELECT key FROM ` + t + ` WHERE ` + live,
		all:           `SELECT key, value, expires FROM ` + t + ` WHERE ` + live,
		scanFrom:      `SELECT key, value, expires FROM ` + t + ` WHERE ` + live + ` AND key >= ? ORDER BY key`,
		scanTo:        `SELECT key, value, expires FROM ` + t + ` WHERE ` + live + ` AND key >= ? AND key < ? ORDER BY key`,
		keysFrom:      `SELECT key FROM ` + t + ` WHERE ` + live + ` AND key >= ? ORDER BY key`,
		keysTo:        `SELECT key FROM ` + t + ` WHERE ` + live + ` AND key >= ? AND key < ? ORDER BY key`,
		getManyPrefix: `SELECT key, value FROM ` + t + ` WHERE ` + live + ` AND key IN (`,
	}
}

// getMany returns the query that gets n keys.
func (q *queries) getMany(n int) string {
	var b strings.Builder
	b.Grow(len(q.getManyPrefix) + 2*n + 1)
	b.WriteString(q.getManyPrefix)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('?')
	}
	b.WriteByte(')')
	return b.String()
}
