"""Bulk loads on PostgreSQL the way pg_restore does them: the tables'
foreign keys and plain indexes are set aside while millions of rows go in,
and put back afterwards, word for word from the catalogue.

Row by row, every inserted row queues one check per foreign key (Django
makes them DEFERRABLE INITIALLY DEFERRED) and updates every index; putting
a key back checks all rows in one pass, and an index is built in one sort.
Measured on ``seed_region --visits``: the rollup's insert of 2.4 million
rows took 85 s, 38 s of it in the key checks (``benchmarks/region.py``).

Primary keys, unique and check constraints stay, so a bulk load still
refuses a duplicate or a bad value. The tables are locked (ACCESS
EXCLUSIVE) until the transaction ends: for seeding and rebuilds only,
never on a path a resident or staff member waits for. Elsewhere than on
PostgreSQL nothing is set aside.
"""

from contextlib import contextmanager

from django.db import connection, transaction

# Sorts for index builds and the rollup's GROUP BY in memory, for this
# transaction only.
BULK_MEMORY = "256MB"


@contextmanager
def keys_and_indexes_set_aside(tables):
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        # Checks still queued (rows just added) must run first: a table
        # with pending checks cannot be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{BULK_MEMORY}'")
        cursor.execute(f"SET LOCAL work_mem = '{BULK_MEMORY}'")
        foreign_keys = _foreign_keys(cursor, tables)
        indexes = _plain_indexes(cursor, tables)
        for table, name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
        yield
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            name = connection.ops.quote_name(name)
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        analyze(tables)


def analyze(tables):
    """The planner's figures for rows just loaded, before anyone reads
    them: until autovacuum gets there, the figures may say "empty", and a
    plan made for no rows can take minutes over thousands."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


def _foreign_keys(cursor, tables):
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
        [list(tables)],
    )
    return cursor.fetchall()


def _plain_indexes(cursor, tables):
    """Indexes that belong to no constraint (a unique constraint's index
    stays, so that it goes on refusing duplicates)."""
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid::regclass::text = ANY(%s) AND NOT indisprimary AND NOT indisunique "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid) ORDER BY 1",
        [list(tables)],
    )
    return cursor.fetchall()
