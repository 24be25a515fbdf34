// Enqueue rate over one connection: a blocking Producer::enqueue loop (one round
// trip per message) against pipelined enqueues (1,000 statements, one round trip;
// each still its own transaction), and the same pipeline inside one transaction.
//
//   enqueue_bench [DSN] [--messages N]     (DSN defaults to $PGQRS_DSN)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <pgqrs/pgqrs.hpp>

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    const char* env = std::getenv("PGQRS_DSN");
    std::string dsn = env ? env : "";
    int n = 1000;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--messages") == 0 && i + 1 < argc) n = std::atoi(argv[++i]);
        else dsn = argv[i];
    }
    if (dsn.empty() || n <= 0) {
        std::fprintf(stderr, "usage: enqueue_bench DSN [--messages N] (or set PGQRS_DSN)\n");
        return 2;
    }
    try {
        pgqrs::Admin admin(dsn);
        admin.install();
        const std::string queue = "bench_enqueue_" + std::to_string(std::time(nullptr));
        admin.create_queue(queue);
        pgqrs::Producer producer(dsn, queue, "enqueue-bench", 40000 + (std::rand() % 20000));
        std::vector<std::string> payloads;
        for (int i = 0; i < n; ++i) payloads.push_back("{\"task\": " + std::to_string(i) + "}");
        producer.enqueue(payloads[0]);  // connect and register outside the timing

        auto t0 = std::chrono::steady_clock::now();
        for (const auto& p : payloads) producer.enqueue(p);
        const double blocking = n / seconds_since(t0);

        t0 = std::chrono::steady_clock::now();
        auto ids = producer.enqueue_pipelined(payloads);
        const double pipelined = n / seconds_since(t0);

        // the same statements, wrapped in BEGIN / COMMIT: one commit instead of n
        auto& conn = producer.client()->conn;
        const std::string wid = std::to_string(producer.worker_id());
        std::vector<pgqrs::Request> reqs{{"BEGIN", {}}};
        for (const auto& p : payloads) reqs.push_back({producer.client()->sql.enqueue, {queue, p, "0", wid}});
        reqs.push_back({"COMMIT", {}});
        t0 = std::chrono::steady_clock::now();
        auto done = conn.exec_pipeline(reqs);
        const double in_tx = n / seconds_since(t0);
        for (auto& d : done)
            if (!d.ok()) pgqrs::raise(d.error());

        std::printf("messages per run:        %d\n", n);
        std::printf("blocking enqueue loop:   %.0f msg/s\n", blocking);
        std::printf("pipelined enqueues:      %.0f msg/s\n", pipelined);
        std::printf("ratio pipelined/blocking: %.2fx\n", pipelined / blocking);
        std::printf("pipelined, one commit:   %.0f msg/s (%.2fx blocking)\n", in_tx, in_tx / blocking);
        producer.close();
        admin.delete_queue(queue, true);
        return ids.size() == payloads.size() ? 0 : 1;
    } catch (const pgqrs::Error& e) {
        std::fprintf(stderr, "error: %s (SQLSTATE %s)\n", e.what(), e.sqlstate().c_str());
        return 1;
    }
}
