"""SQL texts of the enqueue calls that give priorities or group keys, and of
set_priority (the C++ client's statements pass neither).

An enqueue without them keeps the C++ client's statement, so it costs nothing
more. Priorities and group keys are passed by name: the other trailing
parameters keep their defaults.
"""

from __future__ import annotations

# the payloads ($2, a JSON array) as a jsonb[] in input order, as the C++ client does
_PAYLOADS = (
    "ARRAY(SELECT t.e FROM pg_catalog.jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY t.n)"
)


def _texts(param: str) -> str:
    """A JSON array of strings or nulls as a text[] in order; NULL stays NULL (not an empty array)."""
    return (
        f"CASE WHEN {param}::jsonb IS NULL THEN NULL ELSE ARRAY(SELECT t.k FROM "
        f"pg_catalog.jsonb_array_elements_text({param}::jsonb) WITH ORDINALITY AS t(k, n) ORDER BY t.n) END"
    )


class OrderingStatements:
    """The statements for one schema (``qschema``: the quoted name)."""

    def __init__(self, qschema: str) -> None:
        s = f"{qschema}."
        ordering = "priority => $5::int, group_key => $6::text"
        # $1 queue, $2 payload, $3 delay, $4 worker, $5 priority, $6 group key
        self.enqueue = f"SELECT {s}enqueue($1::text, $2::jsonb, $3::int, $4::bigint, {ordering})"
        # $1 queue, $2 payloads, $3 delay, $4 worker, $5 priorities (int[]), $6 group keys (JSON)
        self.enqueue_batch = (
            f"SELECT r.id FROM {s}enqueue_batch($1::text, {_PAYLOADS}, $3::int, $4::bigint, "
            f"priorities => $5::int[], group_keys => {_texts('$6')}) WITH ORDINALITY AS r(id, n) ORDER BY r.n"
        )
        # $1 queue, $2 payload, $3 dedup key, $4 delay, $5 worker, $6 priority, $7 group key
        self.enqueue_dedup = (
            "SELECT pg_catalog.row_to_json(r)::text FROM "
            f"{s}enqueue_dedup($1::text, $2::jsonb, $3::text, $4::int, $5::bigint, "
            "priority => $6::int, group_key => $7::text) r"
        )
        # $1 queue, $2 payloads, $3 dedup keys (JSON), $4 delay, $5 worker,
        # $6 priorities (int[]), $7 group keys (JSON)
        self.enqueue_batch_dedup = (
            "SELECT pg_catalog.json_build_object('msg_id', r.msg_id, 'inserted', r.inserted)::text FROM "
            f"{s}enqueue_batch_dedup($1::text, {_PAYLOADS}, {_texts('$3')}, $4::int, $5::bigint, "
            f"priorities => $6::int[], group_keys => {_texts('$7')}) "
            "WITH ORDINALITY AS r(msg_id, inserted, n) ORDER BY r.n"
        )
        self.set_priority = f"SELECT {s}set_priority($1::bigint, $2::int)"
