#include "daemon/pipeline/poller_set.hpp"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

namespace newsd::daemon {
namespace asio = boost::asio;

namespace {

bool same_settings(SourceConfig a, const SourceConfig& b) {
  a.line = b.line;  // moving a source in the file changes nothing
  return a == b;
}

const SourceConfig* find_source(const std::vector<SourceConfig>& sources, const std::string& id) {
  auto it = std::find_if(sources.begin(), sources.end(), [&](const SourceConfig& s) { return s.id == id; });
  return it == sources.end() ? nullptr : &*it;
}

std::string what_of(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
  }
  return "unknown exception";
}

}  // namespace

void PollerSet::start(const std::vector<SourceConfig>& sources) {
  for (const auto& source : sources) {
    pollers_.push_back(std::make_unique<SourcePoller>(context_, source));
    spawn(*pollers_.back());
  }
}

PollerSet::Changes PollerSet::apply(const std::vector<SourceConfig>& sources) {
  Changes changes;
  std::map<std::string, SourcePoller*> waits_for;  // source id -> the poller its new one waits for
  for (auto it = pollers_.begin(); it != pollers_.end();) {
    const auto* wanted = find_source(sources, (*it)->source().id);
    if (wanted && same_settings(*wanted, (*it)->source())) {
      ++it;
      continue;
    }
    const std::string id = (*it)->source().id;
    if (wanted) {
      ++changes.changed;
      spdlog::info("config: source {} changed; polling it with its new settings", id);
    } else {
      ++changes.removed;
      spdlog::info("config: source {} removed", id);
      metrics_.forget_source(id);
    }
    waits_for[id] = retire(std::move(*it));
    it = pollers_.erase(it);
  }
  for (const auto& source : sources) {
    if (find(source.id)) continue;
    if (!waits_for.contains(source.id)) {
      ++changes.added;
      spdlog::info("config: source {} added", source.id);
    }
    pollers_.push_back(std::make_unique<SourcePoller>(context_, source));
    if (auto* predecessor = waits_for[source.id])
      successors_[predecessor] = pollers_.back().get();
    else
      spawn(*pollers_.back());
  }
  return changes;
}

SourcePoller* PollerSet::retire(std::unique_ptr<SourcePoller> poller) {
  poller->stop();
  // A replacement that was still waiting never ran: freed now, and whoever
  // replaces it waits for the same predecessor.
  for (auto& [predecessor, successor] : successors_) {
    if (successor != poller.get()) continue;
    successor = nullptr;
    return predecessor;
  }
  // Not running (between a crash and its restart): nothing to wait for.
  if (!running_.contains(poller.get())) return nullptr;
  retired_.push_back(std::move(poller));
  return retired_.back().get();
}

void PollerSet::stop() {
  stopping_ = true;
  for (auto& poller : pollers_) poller->stop();
}

const SourcePoller* PollerSet::find(const std::string& source_id) const {
  auto it = std::find_if(pollers_.begin(), pollers_.end(), [&](const auto& p) { return p->source().id == source_id; });
  return it == pollers_.end() ? nullptr : it->get();
}

bool PollerSet::current(const SourcePoller* poller) const {
  return std::any_of(pollers_.begin(), pollers_.end(), [poller](const auto& p) { return p.get() == poller; });
}

void PollerSet::spawn(SourcePoller& poller) {
  running_.insert(&poller);
  asio::co_spawn(io_, poller.run(), [this, raw = &poller](std::exception_ptr error) {
    // Posted: the coroutine's frame is gone before its poller may be freed.
    asio::post(io_, [this, raw, error] { ended(raw, error); });
  });
}

void PollerSet::ended(SourcePoller* poller, std::exception_ptr error) {
  running_.erase(poller);
  if (std::erase_if(retired_, [poller](const auto& p) { return p.get() == poller; }) > 0) {
    auto next = successors_.extract(poller);
    if (!next.empty() && next.mapped() && !stopping_) spawn(*next.mapped());
    return;
  }
  if (!error || stopping_) return;
  spdlog::critical("source {}: polling ended by an unexpected error ({}); restarting it in {} ms",
                   poller->source().id, what_of(error), restart_delay.count());
  metrics_.poller_crashes.with().inc();
  restart_later(poller);
}

void PollerSet::restart_later(SourcePoller* poller) {
  auto timer = std::make_shared<asio::steady_timer>(io_, restart_delay);
  timer->async_wait([this, poller, timer](boost::system::error_code ec) {
    if (!ec && current(poller) && !running_.contains(poller) && !stopping_) spawn(*poller);
  });
}

}  // namespace newsd::daemon
