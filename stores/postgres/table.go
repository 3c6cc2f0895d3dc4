package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// maxIdentifier is PostgreSQL's limit on a name (NAMEDATALEN - 1); a
// longer one would be cut short silently, so it is refused.
const maxIdentifier = 63

// ErrNoTable is wrapped by the error of New and Open with
// WithCreateTable(false), and of OpenReadOnly, when the table does not
// exist. That error wraps fs.ErrNotExist too.
var ErrNoTable = errors.New("kv/postgres: table does not exist")

// noTableError is the error of a missing table: ErrNoTable and
// fs.ErrNotExist, naming the table.
type noTableError struct{ table string }

func (e noTableError) Error() string { return ErrNoTable.Error() + ": " + e.table }

func (e noTableError) Is(target error) bool { return target == ErrNoTable || target == fs.ErrNotExist }

// validName reports what is wrong with a table or schema name, if
// anything. Names are quoted in every statement, so any characters but
// NUL are allowed.
func validName(what, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty %s name", what)
	case len(name) > maxIdentifier:
		return fmt.Errorf("%s name %q is longer than %d bytes", what, name, maxIdentifier)
	case strings.IndexByte(name, 0) >= 0:
		return fmt.Errorf("%s name %q holds a NUL byte", what, name)
	}
	return nil
}

// queries are the statements of one table. Schema: key bytea primary
// key (see pkOf), long_key bytea (the key, when the primary key is
// derived from it), expires_at timestamptz (NULL: never) with a partial
// index for the janitor, value bytea.
type queries struct {
	table string // the quoted, qualified table name

	createSchema, createTable, createIndex string
	exists                                 string

	get, has, set, del string
	count, clear       string
	getMany, setMany   string
	delMany            string
	sweep              string

	setIfAbsent, compareAndSwap, compareAndDelete string
}

// live is the condition of a row that has not expired at the time bound
// to placeholder n.
func live(n int) string {
	p := "$" + strconv.Itoa(n)
	return "(expires_at IS NULL OR expires_at > " + p + ")"
}

// indexName returns the name of the table's expiry index: the table's
// name and a suffix, or a hash of the table's name when that is too long.
func indexName(table string) string {
	const suffix = "_expires_at_idx"
	if len(table)+len(suffix) <= maxIdentifier {
		return table + suffix
	}
	h := sha256.Sum256([]byte(table))
	return "kv_" + hex.EncodeToString(h[:12]) + suffix
}

func newQueries(schema, table string, unlogged bool) queries {
	id := pgx.Identifier{table}
	if schema != "" {
		id = pgx.Identifier{schema, table}
	}
	t := id.Sanitize()
	kind := "TABLE"
	if unlogged {
		kind = "UNLOGGED TABLE"
	}
	upsert := ` ON CONFLICT (key) DO UPDATE SET long_key = excluded.long_key, expires_at = excluded.expires_at, value = excluded.value`
	q := queries{
		table: t,
		createTable: `CREATE ` + kind + ` IF NOT EXISTS ` + t + ` (
	key        bytea       NOT NULL PRIMARY KEY,
	long_key   bytea,
	expires_at timestamptz,
	value      bytea       NOT NULL
)`,
		createIndex: `CREATE INDEX IF NOT EXISTS ` + pgx.Identifier{indexName(table)}.Sanitize() + ` ON ` + t + ` (expires_at) WHERE expires_at IS NOT NULL`,
		exists:      `SELECT to_regclass($1) IS NOT NULL`,
		get:         `SELECT value FROM ` + t + ` WHERE key = $1 AND ` + live(2),
		has:         `SELECT EXISTS (SELECT 1 FROM ` + t + ` WHERE key = $1 AND ` + live(2) + `)`,
		set:         `INSERT INTO ` + t + ` (key, long_key, expires_at, value) VALUES ($1, $2, $3, $4)` + upsert,
		del:         `DELETE FROM ` + t + ` WHERE key = $1`,
		count:       `SELECT count(*) FROM ` + t + ` WHERE ` + live(1),
		clear:       `DELETE FROM ` + t,
		getMany:     `SELECT key, long_key, value FROM ` + t + ` WHERE key = ANY($1) AND ` + live(2),
		setMany: `INSERT INTO ` + t + ` (key, long_key, expires_at, value) SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::timestamptz[], $4::bytea[])` +
			upsert,
		delMany: `DELETE FROM ` + t + ` WHERE key = ANY($1)`,
		sweep: `DELETE FROM ` + t + ` WHERE key IN (SELECT key FROM ` + t +
			` WHERE expires_at <= $1 LIMIT ` + strconv.Itoa(sweepBatch) + `)`,
	}
	// The conditional writes: one statement each, atomic on the row. The
	// insert replaces a conflicting row only when it has expired at $5.
	q.setIfAbsent = `INSERT INTO ` + t + ` AS cur (key, long_key, expires_at, value) VALUES ($1, $2, $3, $4)` + upsert +
		` WHERE cur.expires_at IS NOT NULL AND cur.expires_at <= $5`
	q.compareAndSwap = `UPDATE ` + t + ` SET expires_at = $3, value = $4 WHERE key = $1 AND value = $2 AND ` + live(5)
	q.compareAndDelete = `DELETE FROM ` + t + ` WHERE key = $1 AND value = $2 AND ` + live(3)
	if schema != "" {
		q.createSchema = `CREATE SCHEMA IF NOT EXISTS ` + pgx.Identifier{schema}.Sanitize()
	}
	return q
}

// page returns the query of one page of Keys and ScanKeys (values false:
// the key and its expiry, no value column) or All and Scan: the rows after $1 (from $1 on when inclusive), before $4 when
// bounded, live at $2, in key order, at most $3.
func (q *queries) page(values, inclusive, bounded bool) string {
	var b strings.Builder
	b.WriteString("SELECT key, long_key, expires_at")
	if values {
		b.WriteString(", value")
	}
	b.WriteString(" FROM " + q.table + " WHERE key ")
	if inclusive {
		b.WriteString(">=")
	} else {
		b.WriteString(">")
	}
	b.WriteString(" $1 AND " + live(2))
	if bounded {
		b.WriteString(" AND key < $4")
	}
	b.WriteString(" ORDER BY key LIMIT $3")
	return b.String()
}

// lockKey returns the advisory lock key of the table for a purpose
// ("setup", "janitor"): the same for every store on the table, in every
// process, and different between purposes and tables.
func lockKey(purpose, table string) int64 {
	h := fnv.New64a()
	h.Write([]byte("kv/postgres " + purpose + " " + table))
	return int64(h.Sum64())
}

// setup creates the schema, the table and its index when missing (or,
// without create, checks the table is there), in one transaction under
// an advisory lock, so that stores opening at once do not race each
// other's CREATE.
//
// An existing table is used as it is, without any CREATE, which a role
// without CREATE rights on the schema could not run.
func (q *queries) setup(ctx context.Context, pool *pgxpool.Pool, create bool) error {
	var ok bool
	if err := pool.QueryRow(ctx, q.exists, q.table).Scan(&ok); err != nil {
		return err
	}
	switch {
	case ok:
		return nil
	case !create:
		return noTableError{q.table}
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey("setup", q.table)); err != nil {
			return err
		}
		for _, stmt := range []string{q.createSchema, q.createTable, q.createIndex} {
			if stmt == "" {
				continue
			}
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
}
