#include "actors/task_output.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace hearth::actors {

stdout_forwarder::stdout_forwarder(caf::actor_system& sys, stdout_stream_type stream, std::chrono::seconds patience)
    : stream_(sys, std::move(stream), patience) {}

void stdout_forwarder::add(const std::string& task_id, std::string_view s) {
  if (!stream_) return;
  if (!streaming_) {
    held_.append(s);
    if (held_.size() <= stream_threshold_bytes) return;
    streaming_ = true;
    stream_.send(task_id, std::exchange(held_, std::string()));
    return;
  }
  stream_.send(task_id, std::string(s));
}

output_keeper::output_keeper(task_record& t, std::string path, stdout_forwarder& forward)
    : t_(t), path_(std::move(path)), forward_(forward) {}

output_keeper::~output_keeper() {
  if (file_) std::fclose(file_);
}

void output_keeper::add(std::string_view s) {
  t_.stdout_size += s.size();
  hash_.update(s);
  forward_.add(t_.id, s);
  if (!file_ && !failed_ && t_.stdout_data.size() + s.size() <= inline_output_bytes) {
    t_.stdout_data.append(s);
    return;
  }
  if (!file_ && !failed_) spill();
  if (file_ && std::fwrite(s.data(), 1, s.size(), file_) != s.size()) fail();
}

bool output_keeper::finish(crypto::hash256& content) {
  if (file_ && std::fflush(file_) != 0) fail();
  content = hash_.finish();
  return !failed_;
}

void output_keeper::spill() {
  file_ = std::fopen(path_.c_str(), "wb");
  if (!file_) return fail();
  t_.stdout_spilled = true;
  if (std::fwrite(t_.stdout_data.data(), 1, t_.stdout_data.size(), file_) != t_.stdout_data.size()) return fail();
  std::string().swap(t_.stdout_data);
}

void output_keeper::fail() {
  if (!failed_) spdlog::error("task {}: stdout not stored in {}", t_.id, path_);
  failed_ = true;
}

}  // namespace hearth::actors
