// fault_probe: drives a pgqrs::Producer and a pgqrs::Consumer from commands on
// stdin, one result line per command, for the client fault tests.
//
//   fault_probe PRODUCER_DSN CONSUMER_DSN QUEUE
//   commands: enqueue | dequeue | archive_last | quit
//   answers:  ok <value> <ms>  |  error <kind> <sqlstate> <ms> <message on one line>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

#include <pgqrs/pgqrs.hpp>

namespace {

std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    return s;
}

const char* kind(const pgqrs::Error& e) {
    if (dynamic_cast<const pgqrs::ConnectionError*>(&e)) return "ConnectionError";
    return "Error";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: fault_probe PRODUCER_DSN CONSUMER_DSN QUEUE\n";
        return 2;
    }
    pgqrs::Producer producer(argv[1], argv[3], "fault-probe", 1);
    pgqrs::Consumer consumer(argv[2], argv[3], "fault-probe", 2);
    std::int64_t last = 0;
    std::string cmd;
    while (std::getline(std::cin, cmd)) {
        if (cmd == "quit") break;
        auto t0 = std::chrono::steady_clock::now();
        auto ms = [&] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - t0).count();
        };
        try {
            if (cmd == "enqueue") {
                std::int64_t id = producer.enqueue(R"({"probe": true})");
                std::cout << "ok " << id << ' ' << ms() << std::endl;
            } else if (cmd == "dequeue") {
                auto msgs = consumer.dequeue(1, 30);
                if (!msgs.empty()) last = msgs[0].id;
                std::cout << "ok " << msgs.size() << ' ' << ms() << std::endl;
            } else if (cmd == "archive_last") {
                bool done = consumer.archive(last);
                std::cout << "ok " << (done ? 1 : 0) << ' ' << ms() << std::endl;
            } else {
                std::cout << "error Usage - 0 unknown command" << std::endl;
            }
        } catch (const pgqrs::Error& e) {
            std::cout << "error " << kind(e) << ' ' << (e.sqlstate().empty() ? "-" : e.sqlstate())
                      << ' ' << ms() << ' ' << one_line(e.what()) << std::endl;
        } catch (const std::exception& e) {
            std::cout << "error std " << "- " << ms() << ' ' << one_line(e.what()) << std::endl;
        }
    }
    return 0;
}
