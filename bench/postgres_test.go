package bench

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	gokvpostgres "github.com/philippgille/gokv/postgresql"

	"github.com/kvkit/kv"
	kvpostgres "github.com/kvkit/kv/stores/postgres"
)

const postgresVar = "KV_TEST_POSTGRES_URL"

func pgPool(b *testing.B) *pgxpool.Pool {
	b.Helper()
	p, err := pgxpool.New(context.Background(), serverEnv(b, postgresVar))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	return p
}

func dropPGTable(p *pgxpool.Pool, table string) {
	p.Exec(context.Background(), `DROP TABLE IF EXISTS `+pgx.Identifier{table}.Sanitize())
}

// openPostgresRaw is the SQL the store sends, through pgx by hand, on a
// table of the same shape (and the same partial index), with the same CBOR: a SELECT by primary key
// filtering on expiry, an INSERT ... ON CONFLICT DO UPDATE.
func openPostgresRaw(b *testing.B) ops {
	p := pgPool(b)
	table := uniqueName(b, "raw")
	t := pgx.Identifier{table}.Sanitize()
	for _, ddl := range []string{
		`CREATE TABLE ` + t + ` (key bytea NOT NULL PRIMARY KEY, long_key bytea, expires_at timestamptz, value bytea NOT NULL)`,
		`CREATE INDEX ON ` + t + ` (expires_at) WHERE expires_at IS NOT NULL`,
	} {
		if _, err := p.Exec(context.Background(), ddl); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() { dropPGTable(p, table) })
	get := `SELECT value FROM ` + t + ` WHERE key = $1 AND (expires_at IS NULL OR expires_at > $2)`
	set := `INSERT INTO ` + t + ` (key, long_key, expires_at, value) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET long_key = excluded.long_key, expires_at = excluded.expires_at, value = excluded.value`
	return ops{
		get: func(ctx context.Context, key string) (Record, error) {
			var v []byte
			err := p.QueryRow(ctx, get, []byte(key), time.Now()).Scan(&v)
			if errors.Is(err, pgx.ErrNoRows) {
				return Record{}, kv.ErrNotFound
			}
			if err != nil {
				return Record{}, err
			}
			return decodeRecord(v)
		},
		set: func(ctx context.Context, key string, r Record) error {
			v, err := encodeRecord(r)
			if err != nil {
				return err
			}
			_, err = p.Exec(ctx, set, []byte(key), nil, nil, v) // the bench's keys are short: no long_key
			return err
		},
	}
}

func postgresKVStore(b *testing.B) kv.Store[string, Record] {
	p := pgPool(b)
	table := uniqueName(b, "kv")
	s, err := kvpostgres.New(p, table)
	if err != nil {
		b.Fatal(err)
	}
	t := kv.Typed(s, kv.StringKeys(), kv.CBOR[Record]())
	b.Cleanup(func() {
		t.Close()
		dropPGTable(p, table)
	})
	return t
}

func openPostgresKV(b *testing.B) ops { return typedOps(postgresKVStore(b)) }

// openPostgresGokv is gokv's PostgreSQL store (database/sql with lib/pq,
// a text primary key, no expiry), on a table of its own.
func openPostgresGokv(b *testing.B) ops {
	url := serverEnv(b, postgresVar)
	table := uniqueName(b, "gokv")
	s, err := gokvpostgres.NewClient(gokvpostgres.Options{ConnectionURL: url, TableName: table, Codec: gokvCBOR{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		s.Close()
		dropPGTable(pgPool(b), table)
	})
	return gokvOps(s)
}
