"""SQL texts of the Archive calls pgqrs 0.4 had and the C++ client has not.

They read the ``archive`` table (an admin may: ``grant_access(role, 'admin')``
grants SELECT on it) and delete from it (only its owner may: no pgqrs function
deletes one archived message).
"""

from __future__ import annotations


class ArchiveStatements:
    """The statements for the archive of one schema (``qschema``: the quoted name)."""

    def __init__(self, qschema: str) -> None:
        table = f"{qschema}.archive"
        json_rows = f"SELECT pg_catalog.row_to_json(r)::text FROM {table} r"
        by_worker = "consumer_worker_id = $1::bigint"
        # dead letters, of at least $1 deliveries when $1 is not NULL
        dead = "dead_letter AND ($1::int IS NULL OR read_ct >= $1::int)"
        page = "ORDER BY r.id LIMIT $2::bigint OFFSET $3::bigint"
        self.list_by_worker = f"{json_rows} WHERE r.{by_worker} {page}"
        self.count_by_worker = f"SELECT pg_catalog.count(*) FROM {table} WHERE {by_worker}"
        self.delete = f"WITH d AS (DELETE FROM {table} WHERE id = $1::bigint RETURNING 1) SELECT pg_catalog.count(*) FROM d"
        self.delete_by_worker = (
            f"WITH d AS (DELETE FROM {table} WHERE {by_worker} RETURNING 1) SELECT pg_catalog.count(*) FROM d"
        )
        self.list_dlq = f"{json_rows} WHERE r.{dead} {page}"
        self.dlq_count = f"SELECT pg_catalog.count(*) FROM {table} WHERE {dead}"
