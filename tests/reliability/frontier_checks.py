"""What the claim frontier tests read of a queue: rows, the frontier itself
(claim_frontier_stats) and the claimable rows that lie below it."""
import psycopg


def conn(cluster):
    return psycopg.connect(cluster.dsn(), autocommit=True)


def one(conn, query, args=()):
    row = conn.execute(query, args).fetchone()
    return row[0] if row else None


def ids(conn, query, args=()):
    return [r[0] for r in conn.execute(query, args).fetchall()]


def frontier(conn, queue):
    """(frontier_vt, frontier_id) of the queue, None at the start."""
    row = conn.execute("SELECT frontier_vt, frontier_id FROM pgqrs.claim_frontier_stats() "
                       "WHERE queue_name = %s", (queue,)).fetchone()
    return None if row is None or row[0] is None else (row[0], row[1])


def passed(conn, queue, vt):
    """The frontier lies above vt: a claim starting there would miss a row at vt."""
    f = frontier(conn, queue)
    return f is not None and f[0] > vt


def below_frontier(conn, queue):
    """Claimable rows below the queue's frontier (none may be)."""
    f = frontier(conn, queue)
    if f is None:
        return 0
    return one(conn, "SELECT count(*) FROM pgqrs.messages m JOIN pgqrs.queues q ON q.id = m.queue_id "
                     "WHERE q.queue_name = %s AND m.vt <= clock_timestamp() "
                     "AND (m.vt, m.id) < (%s, %s)", (queue, f[0], f[1]))


def found_below(conn, queue):
    """Rows a reset of the queue's frontier found below it."""
    return one(conn, "SELECT found_below FROM pgqrs.claim_frontier_stats() WHERE queue_name = %s",
               (queue,))
