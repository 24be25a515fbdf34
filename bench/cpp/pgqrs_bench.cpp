// The C++ layer of the benchmark: the canon's scenarios through the pgqrs C++
// client, one JSON line per cell on stdout (bench/run.py collects them).
//
//   pgqrs_bench DSN enqueue  QUEUE --threads N --seconds T [--waiters W [--wait-queue Q2]] [--pin 1]
//   pgqrs_bench DSN batch    QUEUE --threads N --seconds T --batch B
//   pgqrs_bench DSN drain    QUEUE --threads N --batch B --seconds T (until empty, or T s)
//   pgqrs_bench DSN latency  QUEUE --rate R --seconds T --consumers C [--batch B]
//   pgqrs_bench DSN wake     QUEUE --rate R --seconds T --consumers C
//
// Every thread has its own connection (one Producer or Consumer each). Server
// settings such as synchronous_commit come from PGOPTIONS. Payloads are ~60 B
// JSON objects, the size of the pgbench scripts' payload.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sched.h>

#include <libpq-fe.h>
#include <pgqrs/pgqrs.hpp>

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
    std::string dsn, mode, queue, wait_queue;
    int threads = 1, batch = 1, consumers = 1, waiters = 0, rate = 1000;
    bool pin = false;
    double seconds = 5;
};

std::string payload() { return R"({"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"})"; }

std::int64_t wall_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch()).count();
}

double secs(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// Percentile of a sorted vector (nearest rank).
double pct(const std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    std::size_t i = static_cast<std::size_t>(p / 100.0 * (v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

std::string json_pcts(std::vector<double> v, const char* unit) {
    std::sort(v.begin(), v.end());
    char buf[256];
    std::snprintf(buf, sizeof buf, "\"unit\": \"%s\", \"p50\": %.3f, \"p95\": %.3f, \"p99\": %.3f, \"max\": %.3f",
                  unit, pct(v, 50), pct(v, 95), pct(v, 99), v.empty() ? 0.0 : v.back());
    return buf;
}

void emit(const Args& a, const std::string& scenario, const std::string& params, long msgs, double seconds,
          const std::string& extra) {
    std::printf("{\"scenario\": \"%s\", \"layer\": \"cpp\", \"system\": \"pgqrs\", \"params\": {%s}, "
                "\"msgs\": %ld, \"seconds\": %.3f, \"msgs_per_s\": %.1f%s%s}\n",
                scenario.c_str(), params.c_str(), msgs, seconds, seconds > 0 ? msgs / seconds : 0.0,
                extra.empty() ? "" : ", ", extra.c_str());
    std::fflush(stdout);
    (void)a;
}

// Binds the calling thread and the server backend of w's connection to one CPU
// (--pin: producers on CPU 0, waiters on CPU 1, so that what the waiters do with
// their messages cannot take the producer's CPU: what remains is what waiting costs it).
void pin_to_cpu(pgqrs::WorkerClient& w, int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    PGconn* conn = w.client()->conn.core().native();
    if (sched_setaffinity(0, sizeof set, &set) != 0 || conn == nullptr ||
        sched_setaffinity(PQbackendPID(conn), sizeof set, &set) != 0) {
        // called on worker threads: no exception can reach main from here
        std::fprintf(stderr, "pgqrs_bench: --pin: cannot bind to CPU %d: %s\n", cpu, std::strerror(errno));
        std::_Exit(2);
    }
}

int port_base() { return 20000 + static_cast<int>(wall_ns() / 1000 % 20000); }

// Consumers that wait on queue with dequeue_wait (batch 1) and archive what they get,
// until stop; counts the calls that came back empty.
struct Waiters {
    std::vector<std::thread> threads;
    std::atomic<bool> stop{false};
    std::atomic<long> got{0}, empty{0};
    std::atomic<int> ready{0};

    void start(const Args& a, const std::string& queue, int n, int wait_seconds, bool archive) {
        int base = port_base() + 500;
        for (int i = 0; i < n; ++i)
            threads.emplace_back([=, &a] {
                (void)a;
                pgqrs::Consumer c(a.dsn, queue, "bench-waiter", base + i);
                c.worker_id();
                if (a.pin) pin_to_cpu(c, 1);
                ready++;
                while (!stop) {
                    auto msgs = c.dequeue_wait(1, 300, wait_seconds);
                    if (msgs.empty()) { empty++; continue; }
                    got += static_cast<long>(msgs.size());
                    if (archive) for (auto& m : msgs) c.archive(m.id);
                    for (auto& m : msgs)
                        if (m.payload.find("\"stop\"") != std::string::npos) return;
                }
            });
        while (ready < n) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        std::this_thread::sleep_for(std::chrono::milliseconds(300));  // all inside dequeue_wait
    }
    // One stop message per waiter wakes each of them out of its wait.
    void finish(const Args& a, const std::string& queue) {
        stop = true;
        pgqrs::Producer p(a.dsn, queue, "bench-stopper", port_base() + 900);
        for (std::size_t i = 0; i < threads.size(); ++i) p.enqueue(R"({"stop": 1})");
        for (auto& t : threads) t.join();
        threads.clear();
        p.close();
    }
};

// S1: blocking enqueue loop, one Producer per thread, for a fixed time.
int run_enqueue(const Args& a) {
    Waiters w;
    if (a.waiters > 0) w.start(a, a.wait_queue.empty() ? a.queue : a.wait_queue, a.waiters, 300, true);
    std::vector<std::vector<double>> lat(a.threads);
    std::vector<long> counts(a.threads, 0);
    std::vector<std::thread> ts;
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    int base = port_base();
    for (int t = 0; t < a.threads; ++t)
        ts.emplace_back([&, t] {
            pgqrs::Producer p(a.dsn, a.queue, "bench-producer", base + t);
            p.worker_id();
            if (a.pin) pin_to_cpu(p, 0);
            const std::string body = payload();
            ready++;
            while (!go) std::this_thread::yield();
            auto t0 = Clock::now();
            auto end = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(a.seconds));
            lat[t].reserve(200000);
            for (auto now = t0; now < end;) {
                p.enqueue(body);
                auto after = Clock::now();
                lat[t].push_back(std::chrono::duration<double, std::micro>(after - now).count());
                now = after;
                counts[t]++;
            }
            p.close();
        });
    while (ready < a.threads) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto t0 = Clock::now();
    go = true;
    for (auto& t : ts) t.join();
    double el = std::max(secs(t0, Clock::now()), a.seconds);
    long n = 0;
    std::vector<double> all;
    for (int t = 0; t < a.threads; ++t) { n += counts[t]; all.insert(all.end(), lat[t].begin(), lat[t].end()); }
    std::string extra = json_pcts(all, "us");
    if (a.waiters > 0) {
        const std::string wq = a.wait_queue.empty() ? a.queue : a.wait_queue;
        w.finish(a, wq);
        extra += ", \"waiters_got\": " + std::to_string(w.got.load()) +
                 ", \"waiters_empty\": " + std::to_string(w.empty.load());
    }
    std::string params = "\"producers\": " + std::to_string(a.threads) + ", \"waiters\": " + std::to_string(a.waiters);
    if (a.waiters > 0) params += std::string(", \"waiters_on\": \"") + (a.wait_queue.empty() ? "same queue" : "other queue") + "\"";
    if (a.pin) params += ", \"pinned\": true";
    emit(a, "S1", params, n, el, extra);
    return 0;
}

// S2: enqueue_batch of a.batch messages per call.
int run_batch(const Args& a) {
    std::vector<std::vector<double>> lat(a.threads);
    std::vector<long> counts(a.threads, 0);
    std::vector<std::thread> ts;
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    int base = port_base();
    for (int t = 0; t < a.threads; ++t)
        ts.emplace_back([&, t] {
            pgqrs::Producer p(a.dsn, a.queue, "bench-producer", base + t);
            p.worker_id();
            std::vector<std::string> body(a.batch, payload());
            ready++;
            while (!go) std::this_thread::yield();
            auto t0 = Clock::now();
            auto end = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(a.seconds));
            for (auto now = t0; now < end;) {
                counts[t] += static_cast<long>(p.enqueue_batch(body).size());
                auto after = Clock::now();
                lat[t].push_back(std::chrono::duration<double, std::micro>(after - now).count());
                now = after;
            }
            p.close();
        });
    while (ready < a.threads) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto t0 = Clock::now();
    go = true;
    for (auto& t : ts) t.join();
    double el = std::max(secs(t0, Clock::now()), a.seconds);
    long n = 0;
    std::vector<double> all;
    for (int t = 0; t < a.threads; ++t) { n += counts[t]; all.insert(all.end(), lat[t].begin(), lat[t].end()); }
    emit(a, "S2", "\"producers\": " + std::to_string(a.threads) + ", \"batch\": " + std::to_string(a.batch), n, el,
         json_pcts(all, "us"));
    return 0;
}

// S3: drain what is in the queue: dequeue + archive per batch until dequeue comes back empty.
int run_drain(const Args& a) {
    std::vector<long> counts(a.threads, 0);
    std::vector<std::vector<double>> lat(a.threads);
    std::vector<std::thread> ts;
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    int base = port_base();
    std::vector<Clock::time_point> ends(a.threads);
    for (int t = 0; t < a.threads; ++t)
        ts.emplace_back([&, t] {
            pgqrs::Consumer c(a.dsn, a.queue, "bench-consumer", base + t);
            c.worker_id();
            ready++;
            while (!go) std::this_thread::yield();
            auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(a.seconds));
            for (;;) {
                auto t1 = Clock::now();
                if (t1 >= deadline) break;
                auto msgs = c.dequeue(a.batch, 30);
                if (msgs.empty()) break;
                if (a.batch == 1) {
                    c.archive(msgs[0].id);
                } else {
                    std::vector<std::int64_t> ids;
                    ids.reserve(msgs.size());
                    for (auto& m : msgs) ids.push_back(m.id);
                    c.archive_batch(ids);
                }
                lat[t].push_back(std::chrono::duration<double, std::micro>(Clock::now() - t1).count());
                counts[t] += static_cast<long>(msgs.size());
            }
            ends[t] = Clock::now();
            c.close();
        });
    while (ready < a.threads) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto t0 = Clock::now();
    go = true;
    for (auto& t : ts) t.join();
    auto last = *std::max_element(ends.begin(), ends.end());
    long n = 0;
    std::vector<double> all;
    for (int t = 0; t < a.threads; ++t) { n += counts[t]; all.insert(all.end(), lat[t].begin(), lat[t].end()); }
    emit(a, "S3", "\"consumers\": " + std::to_string(a.threads) + ", \"batch\": " + std::to_string(a.batch), n,
         secs(t0, last), json_pcts(all, "us"));
    return 0;
}

// S4: one producer at a fixed rate (send time in the payload), consumers in
// dequeue_wait; enqueue -> dequeue latency percentiles.
int run_latency(const Args& a) {
    std::mutex mu;
    std::vector<double> lat;
    std::atomic<bool> stop{false};
    std::atomic<int> ready{0};
    std::vector<std::thread> cs;
    int base = port_base();
    for (int i = 0; i < a.consumers; ++i)
        cs.emplace_back([&, i] {
            pgqrs::Consumer c(a.dsn, a.queue, "bench-consumer", base + 100 + i);
            c.worker_id();
            ready++;
            std::vector<double> mine;
            while (!stop) {
                auto msgs = c.dequeue_wait(a.batch, 30, 1);
                std::int64_t now = wall_ns();
                std::vector<std::int64_t> ids;
                for (auto& m : msgs) {
                    auto pos = m.payload.find("\"t\":");
                    if (pos != std::string::npos)
                        mine.push_back((now - std::atoll(m.payload.c_str() + pos + 4)) / 1e6);
                    ids.push_back(m.id);
                }
                if (ids.size() == 1) c.archive(ids[0]);
                else if (!ids.empty()) c.archive_batch(ids);
            }
            c.close();
            std::lock_guard<std::mutex> g(mu);
            lat.insert(lat.end(), mine.begin(), mine.end());
        });
    while (ready < a.consumers) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    pgqrs::Producer p(a.dsn, a.queue, "bench-producer", base);
    p.worker_id();
    const long total = static_cast<long>(a.rate * a.seconds);
    const auto interval = std::chrono::duration<double>(1.0 / a.rate);
    auto t0 = Clock::now();
    long sent = 0, behind = 0;
    for (; sent < total; ++sent) {
        auto due = t0 + std::chrono::duration_cast<Clock::duration>(interval * sent);
        auto now = Clock::now();
        if (now < due) std::this_thread::sleep_until(due);
        else if (now - due > std::chrono::milliseconds(10)) behind++;
        p.enqueue("{\"t\": " + std::to_string(wall_ns()) + ", \"pad\": \"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\"}");
    }
    double el = secs(t0, Clock::now());
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // let the consumers catch up
    stop = true;
    for (auto& t : cs) t.join();
    p.close();
    std::string extra = json_pcts(lat, "ms") + ", \"received\": " + std::to_string(lat.size()) +
                        ", \"sends_late_10ms\": " + std::to_string(behind);
    emit(a, "S4", "\"rate\": " + std::to_string(a.rate) + ", \"consumers\": " + std::to_string(a.consumers) +
                      ", \"batch\": " + std::to_string(a.batch),
         sent, el, extra);
    return 0;
}

// Wake-one: C waiters in dequeue_wait (batch 1, 300 s: they never time out), a
// producer at a low fixed rate; the claim scans the waiters' backends made, read
// from pg_stat_user_tables once they disconnected (which flushes their counters),
// minus those of an idle phase with the same waiters and no producer.
long scans(pgqrs::Connection& mon) {
    mon.exec("SELECT pg_stat_clear_snapshot()");
    auto r = mon.exec("SELECT coalesce(idx_scan, 0) + coalesce(seq_scan, 0) FROM pg_stat_user_tables "
                      "WHERE schemaname = 'pgqrs' AND relname = 'messages'");
    return std::atol(r.rows.at(0).at(0)->c_str());
}

int run_wake(const Args& a) {
    pgqrs::Connection mon(a.dsn);
    auto phase = [&](int k, int rate, long& sent, long& got, long& empty) {
        Waiters w;
        long s0 = scans(mon);
        w.start(a, a.queue, k, 300, false);
        sent = 0;
        if (rate > 0) {
            pgqrs::Producer p(a.dsn, a.queue, "bench-producer", port_base() + 950);
            p.worker_id();
            auto t0 = Clock::now();
            const long total = static_cast<long>(rate * a.seconds);
            for (; sent < total; ++sent) {
                std::this_thread::sleep_until(t0 + std::chrono::duration_cast<Clock::duration>(
                                                       std::chrono::duration<double>(1.0 / rate) * sent));
                p.enqueue(payload());
            }
            p.close();
        } else {
            std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        w.finish(a, a.queue);
        got = w.got.load() - k;   // less the stop messages
        empty = w.empty.load();
        // the waiters' backends flush their counters when they exit
        std::this_thread::sleep_for(std::chrono::milliseconds(700));
        return scans(mon) - s0;
    };
    // leased messages stay in the table (not archived): clear them between phases
    auto purge = [&] { mon.exec("SELECT pgqrs.purge_queue($1)", {a.queue}); };
    long sent, got, empty, sent_i, got_i, empty_i;
    std::map<int, double> per_msg;
    for (int k : {1, a.consumers}) {
        purge();
        long idle = phase(k, 0, sent_i, got_i, empty_i);
        purge();
        long busy = phase(k, a.rate, sent, got, empty);
        purge();
        double pm = sent > 0 ? double(busy - idle) / sent : 0;
        per_msg[k] = pm;
        char extra[512];
        std::snprintf(extra, sizeof extra,
                      "\"scans_busy\": %ld, \"scans_idle\": %ld, \"claim_scans_per_msg\": %.3f, "
                      "\"delivered\": %ld, \"empty_returns\": %ld, \"empty_returns_idle\": %ld",
                      busy, idle, pm, got, empty, empty_i);
        emit(a, "wake", "\"waiters\": " + std::to_string(k) + ", \"rate\": " + std::to_string(a.rate), sent,
             a.seconds, extra);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: pgqrs_bench DSN MODE QUEUE [--threads N] [--seconds T] [--batch B] "
                             "[--consumers C] [--rate R] [--waiters W] [--wait-queue Q] [--pin 1]\n");
        return 2;
    }
    Args a;
    a.dsn = argv[1];
    a.mode = argv[2];
    a.queue = argv[3];
    for (int i = 4; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        const char* v = argv[i + 1];
        if (k == "--threads") a.threads = std::atoi(v);
        else if (k == "--seconds") a.seconds = std::atof(v);
        else if (k == "--batch") a.batch = std::atoi(v);
        else if (k == "--consumers") a.consumers = std::atoi(v);
        else if (k == "--rate") a.rate = std::atoi(v);
        else if (k == "--waiters") a.waiters = std::atoi(v);
        else if (k == "--wait-queue") a.wait_queue = v;
        else if (k == "--pin") a.pin = std::atoi(v) != 0;
        else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
    }
    try {
        if (a.mode == "enqueue") return run_enqueue(a);
        if (a.mode == "batch") return run_batch(a);
        if (a.mode == "drain") return run_drain(a);
        if (a.mode == "latency") return run_latency(a);
        if (a.mode == "wake") return run_wake(a);
        std::fprintf(stderr, "unknown mode %s\n", a.mode.c_str());
        return 2;
    } catch (const pgqrs::Error& e) {
        std::fprintf(stderr, "pgqrs_bench: %s (SQLSTATE %s)\n", e.what(), e.sqlstate().c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pgqrs_bench: %s\n", e.what());
        return 1;
    }
}
