// Output of the pgqrs CLI: aligned tables for people, JSON for scripts.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pgqrs/types.hpp"

namespace pgqrs::cli {

using Json = nlohmann::ordered_json;

// Value types as JSON objects (payloads embedded as JSON, not as strings).
Json to_json(const QueueInfo& q);
Json to_json(const ScheduleInfo& s);
Json to_json(const QueueMessage& m);
Json to_json(const ArchivedMessage& m);
Json to_json(const WorkerInfo& w);
Json to_json(const QueueMetrics& m);
Json to_json(const SystemStats& s);
Json to_json(const WorkerStats& s);
Json to_json(const WorkerHealth& h);
Json to_json(const ClaimFrontier& f);
Json to_json(const TopicInfo& t);
Json to_json(const Published& p);

// Converts a vector of value types to a JSON array.
template <typename T>
std::vector<Json> to_rows(const std::vector<T>& items) {
    std::vector<Json> rows;
    rows.reserve(items.size());
    for (const auto& i : items) rows.push_back(to_json(i));
    return rows;
}

// Prints results in the chosen format ("table" or "json").
class Output {
public:
    Output(std::ostream& os, std::string format) : os_(os), format_(std::move(format)) {}
    // A list of objects: a table with one row each, or a JSON array.
    void list(const std::vector<Json>& rows) const;
    // One object: field/value lines, or a JSON object.
    void object(const Json& obj) const;
    // A message for people (table format only; JSON prints {"result": text}).
    void message(const std::string& text) const;
    bool json() const { return format_ == "json"; }

private:
    std::ostream& os_;
    std::string format_;
};

}  // namespace pgqrs::cli
