// The "Complete Example" of the pgqrs documentation, in C++: install, create a
// queue, produce five messages, consume and archive them.
//
//   complete_example [DSN [QUEUE]]    (DSN defaults to $PGQRS_DSN)
#include <cstdlib>
#include <iostream>
#include <string>

#include <pgqrs/pgqrs.hpp>

int main(int argc, char** argv) {
    const char* env = std::getenv("PGQRS_DSN");
    const std::string dsn = argc > 1 ? argv[1] : (env ? env : "postgresql://localhost/mydb");
    const std::string queue_name = argc > 2 ? argv[2] : "demo";
    try {
        // Setup
        pgqrs::Admin admin(dsn);
        admin.install();
        try {
            auto queue = admin.create_queue(queue_name);
            std::cout << "Created queue: " << queue.queue_name << "\n";
        } catch (const pgqrs::QueueExistsError&) {
            std::cout << "Queue already exists: " << queue_name << "\n";
        }

        // Produce
        pgqrs::Producer producer(dsn, queue_name, "localhost", 3000);
        for (int i = 0; i < 5; ++i) {
            auto msg_id = producer.enqueue("{\"task\": " + std::to_string(i) + "}");
            std::cout << "Sent task " << i << ": " << msg_id << "\n";
        }

        // Consume
        pgqrs::Consumer consumer(dsn, queue_name, "localhost", 3001);
        auto messages = consumer.dequeue();
        for (const auto& msg : messages) {
            std::cout << "Processing: " << msg.payload << "\n";
            consumer.archive(msg.id);
        }

        std::cout << "Done!\n";
    } catch (const pgqrs::Error& e) {
        std::cerr << "error: " << e.what() << " (SQLSTATE " << e.sqlstate() << ")\n";
        return 1;
    }
    return 0;
}
