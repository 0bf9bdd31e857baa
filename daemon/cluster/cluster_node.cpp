#include "daemon/cluster/cluster_node.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "daemon/config/shards.hpp"
#include "daemon/pipeline/record_builder.hpp"
#include "daemon/pipeline/story_gate.hpp"
#include "sinks/dedupe/story_restorer.hpp"

namespace newsd::daemon {
namespace asio = boost::asio;
ClusterNode::ClusterNode(asio::io_context& io, const Config& config, ClusterParts parts)
    : io_(io), config_(config.cluster), parts_(parts) {
  ShardConsumerConfig consumer;
  consumer.brokers = config.kafka.brokers;
  consumer.properties = config.kafka.properties;
  consumer.group = config_.group;
  consumer.instance_id = config_.instance_id;
  consumer.topic = config_.state_topic();
  consumer.shards = static_cast<int>(config_.shards);
  consumer.session_timeout = config_.session_timeout;
  consumer.read_committed = config_.exactly_once;
  consumer_ = std::make_unique<ShardConsumer>(
      io, std::move(consumer),
      ShardConsumer::Handlers{
          [this](const std::vector<int>& shards) { assigned(shards); },
          [this](const std::vector<int>& shards, bool lost, std::function<void()> done) {
            revoked(shards, lost, std::move(done));
          },
          [this](std::vector<StateRecord> batch) { records(std::move(batch)); },
          [this](int shard, std::int64_t offset) { restored(shard, offset); }});
  follower_ = std::make_unique<IndexFollower>(
      io, config.kafka.brokers, config.kafka.properties, config_.instance_id, config_.state_topic(),
      static_cast<int>(config_.shards), config_.exactly_once,
      [this](std::vector<StateRecord> batch) { followed(std::move(batch)); });
  set_sources(config.sources);
  if (parts_.transactions) {
    parts_.transactions->fence_with([this] { return fence(); });
    parts_.transactions->on_committed([this](const auto& offsets) { committed(offsets); });
  }
}

void ClusterNode::start() {
  consumer_->start();  // creates the state topic when it is missing
  follower_->start();
}

void ClusterNode::stop(std::function<void()> done) {
  stopping_ = true;
  consumer_->stop(std::move(done));
}

PollerSet::Changes ClusterNode::set_sources(std::vector<SourceConfig> sources) {
  sources_ = std::move(sources);
  source_shards_.clear();
  for (const auto& source : sources_) source_shards_[source.id] = shard_of(source, config_.shards);
  return poll_owned();
}

int ClusterNode::shard_of_source(const SourceConfig& source) const {
  auto it = source_shards_.find(source.id);
  return it != source_shards_.end() ? it->second : shard_of(source, config_.shards);
}

PollerSet::Changes ClusterNode::poll_owned() {
  std::vector<SourceConfig> mine;
  for (const auto& source : sources_)
    if (restored_.contains(source_shards_[source.id])) mine.push_back(source);
  return parts_.pollers.apply(mine);
}

void ClusterNode::assigned(const std::vector<int>& shards) {
  const auto now = std::chrono::steady_clock::now();
  for (int shard : shards) {
    assigned_.insert(shard);
    assigned_at_[shard] = now;
  }
}

void ClusterNode::records(std::vector<StateRecord> batch) {
  std::vector<sinks::RestoredStory> stories;
  bool handed = false;
  for (auto& record : batch) {
    if (!assigned_.contains(record.partition)) continue;
    std::string_view key = record.key;
    if (key.starts_with(kPageStateKey)) {  // from any member, at any time
      if (record.value)
        handoffs_[record.key] = Handoff{record.partition, std::move(*record.value)};
      else
        handoffs_.erase(record.key);
      handed = true;
      continue;
    }
    // A restored shard's state is what this instance writes now.
    if (restored_.contains(record.partition)) continue;
    if (key.starts_with(kSourceStateKey)) {
      std::string id(key.substr(kSourceStateKey.size()));
      if (!record.value) {
        checkpoints_.erase(id);
      } else if (auto checkpoint = decode_checkpoint(*record.value)) {
        checkpoints_[id] = std::move(*checkpoint);
      } else {
        spdlog::warn("cluster: unreadable checkpoint of source {} (shard {}, offset {}); ignored", id,
                     record.partition, record.offset);
      }
    } else if (key.starts_with(kStoryStateKey) && record.value) {
      if (auto story = sinks::restored_story(key.substr(kStoryStateKey.size()), *record.value))
        stories.push_back(std::move(*story));
    }
  }
  if (!stories.empty()) parts_.stories.restore(std::move(stories));
  if (handed) take_handoffs();
}

void ClusterNode::followed(std::vector<StateRecord> batch) {
  std::vector<sinks::RestoredStory> stories;
  std::int64_t oldest_ms = -1;
  for (const auto& record : batch) {
    // A shard held here is restored (and then written) by this instance itself.
    if (assigned_.contains(record.partition) || !record.value) continue;
    if (auto story = sinks::restored_story(std::string_view(record.key).substr(kStoryStateKey.size()), *record.value)) {
      stories.push_back(std::move(*story));
      if (record.timestamp_ms >= 0 && (oldest_ms < 0 || record.timestamp_ms < oldest_ms)) oldest_ms = record.timestamp_ms;
    }
  }
  if (stories.empty()) return;
  parts_.stories.restore(std::move(stories));
  // Once caught up, how far behind the other owners' decisions this index is.
  if (follower_->caught_up() && oldest_ms >= 0) {
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    index_lag_seconds_ = std::max<double>(0, static_cast<double>(now_ms - oldest_ms) / 1000.0);
  }
}

void ClusterNode::restored(int shard, std::int64_t offset) {
  if (!assigned_.contains(shard)) return;
  offsets_[shard] = offset;
  // The stories read are in the index before the shard's pollers ask it.
  parts_.stories.after_writes([this, shard] {
    if (!assigned_.contains(shard) || restored_.contains(shard)) return;
    restored_.insert(shard);
    restore_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - assigned_at_[shard]).count();
    spdlog::info("cluster: shard {} restored in {:.2f} s (read up to offset {}); polling its sources", shard,
                 restore_seconds_, offsets_[shard]);
    poll_owned();
    take_handoffs();
  });
}

void ClusterNode::revoked(const std::vector<int>& shards, bool lost, std::function<void()> done) {
  for (int shard : shards) {
    assigned_.erase(shard);
    // Until it is let go of, a restored shard's records may still be
    // committed, with its offsets (a revocation, not a lost session).
    if (restored_.erase(shard) != 0 && !lost) releasing_.insert(shard);
    assigned_at_.erase(shard);
  }
  std::erase_if(handoffs_, [&](const auto& handoff) {
    return std::find(shards.begin(), shards.end(), handoff.second.shard) != shards.end();
  });
  poll_owned();
  after_pollers_stopped([this, shards, lost, done = std::move(done)]() mutable {
    auto release = [this, shards, lost, done = std::move(done)] {
      std::set<int> gone(shards.begin(), shards.end());
      for (int shard : shards) {
        releasing_.erase(shard);
        offsets_.erase(shard);
      }
      const auto dropped = parts_.outbox.drop([&](const sinks::OutRecord& record) {
        return gone.contains(shard_of_record(record));
      });
      spdlog::info("cluster: let go of shards {}{}; {} unsent records of theirs left the outbox", shard_list(shards),
                   lost ? " (lost)" : "", dropped);
      done();
    };
    if (parts_.transactions)
      parts_.transactions->settle(std::move(release));
    else
      release();
  });
}

void ClusterNode::take_handoffs() {
  if (taking_handoffs_ || stopping_) return;
  taking_handoffs_ = true;
  asio::co_spawn(io_, work_off_handoffs(), asio::detached);
}

asio::awaitable<void> ClusterNode::work_off_handoffs() {
  asio::steady_timer pause(io_);
  while (!stopping_) {
    auto next = std::find_if(handoffs_.begin(), handoffs_.end(),
                             [&](const auto& handoff) { return restored_.contains(handoff.second.shard); });
    if (next == handoffs_.end()) break;
    const std::string key = next->first;
    const Handoff handoff = next->second;
    handoff_busy_ = true;
    const bool taken = co_await take_handoff(handoff.shard, key, handoff.value);
    handoff_busy_ = false;
    if (taken) {
      auto now = handoffs_.find(key);  // a newer hand-over of the same page may have come meanwhile
      if (now != handoffs_.end() && now->second.value == handoff.value) handoffs_.erase(now);
    } else {
      pause.expires_after(std::chrono::seconds(1));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
  taking_handoffs_ = false;
}

// GCC 12 reports a false -Wmismatched-new-delete on this coroutine's frame
// (asio's frame allocator pairs its own new and delete), as in
// ArticlePages::extract; the warning is off here only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<bool> ClusterNode::take_handoff(int shard, const std::string& key, const std::string& value) {
  const std::string id = key.substr(kPageStateKey.size());
  auto done = parts_.records.handoff_done_entry(id, shard);
  std::vector<std::pair<std::string, sinks::OutRecord>> entries;
  boost::system::error_code ec;
  auto parsed = boost::json::parse(value, ec);
  auto article = !ec && parsed.is_object() ? parsers::article_from_record(parsed.as_object()) : std::nullopt;
  auto configured = std::find_if(sources_.begin(), sources_.end(),
                                 [&](const SourceConfig& source) { return article && source.id == article->source; });
  if (!article || configured == sources_.end()) {
    spdlog::warn("cluster: handed-over page {} dropped: {}", id,
                 article ? "its source " + article->source + " is not configured here" : std::string("unreadable"));
  } else if (parts_.outbox.room() < parts_.records.records_per_story() + 1) {
    co_return false;  // the outbox is full: later
  } else {
    const SourceConfig source = *configured;  // a reload may replace sources_ meanwhile
    if (!parts_.outbox.known(article->id)) {
      auto outcome = co_await parts_.pages.enrich(*article, source);
      if (!outcome.extracted) spdlog::debug("cluster: handed-over page {} not extracted: {}", article->url, outcome.error);
    }
    if (!restored_.contains(shard)) co_return true;  // let go of meanwhile: its next owner takes it
    StoryGate gate(source, parts_.outbox, &parts_.stories, parts_.metrics.source(source.id));
    std::vector<parsers::Article> one;
    one.push_back(std::move(*article));
    const auto candidates = co_await gate.candidates(one);
    if (!candidates.empty()) {
      auto admitted = co_await gate.admit(candidates);
      if (!admitted) co_return false;
      for (const auto& [admitted_article, version] : *admitted) {
        auto story = parts_.records.version_entries(*admitted_article, source, version, shard);
        std::move(story.begin(), story.end(), std::back_inserter(entries));
        handoff_stories_[admitted_article->id] = shard;
      }
    }
  }
  if (!restored_.contains(shard)) co_return true;
  if (!parts_.outbox.waiting(std::string(sinks::story_of(done.first)))) entries.push_back(std::move(done));
  if (entries.empty()) co_return true;
  const auto count = entries.size();
  auto taken = co_await parts_.outbox.async_submit(
      std::move(entries), [this](const std::string& story) { handoff_stories_.erase(story); });
  co_return taken && *taken == count;
}
#pragma GCC diagnostic pop

void ClusterNode::after_pollers_stopped(std::function<void()> then, int waited_ms) {
  if ((parts_.pollers.retired() == 0 && !handoff_busy_) || waited_ms >= 60'000) {
    if (waited_ms >= 60'000) spdlog::error("cluster: pollers did not stop within a minute; going on");
    return then();
  }
  auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(20));
  timer->async_wait([this, timer, then = std::move(then), waited_ms](boost::system::error_code) mutable {
    after_pollers_stopped(std::move(then), waited_ms + 20);
  });
}

int ClusterNode::shard_of_record(const sinks::OutRecord& record) const {
  if (record.topic == config_.state_topic() && record.partition >= 0) return record.partition;
  if (auto handed = handoff_stories_.find(record.key); handed != handoff_stories_.end()) return handed->second;
  for (const auto& [name, value] : record.headers) {
    if (name != "ce_source" || !std::string_view(value).starts_with(kCloudEventSourcePrefix)) continue;
    auto it = source_shards_.find(value.substr(kCloudEventSourcePrefix.size()));
    return it != source_shards_.end() ? it->second : -1;
  }
  return -1;
}

std::optional<SourceCheckpoint> ClusterNode::checkpoint(const std::string& source_id) const {
  auto it = checkpoints_.find(source_id);
  if (it == checkpoints_.end()) return std::nullopt;
  return it->second;
}

sinks::TransactionFence ClusterNode::fence() const {
  if (restored_.empty() && releasing_.empty()) return {};
  sinks::TransactionFence fence{consumer_->group_metadata(), {}};
  for (const auto* shards : {&restored_, &releasing_})
    for (int shard : *shards) {
      auto it = offsets_.find(shard);
      fence.offsets.push_back({config_.state_topic(), shard, it != offsets_.end() ? it->second : 0});
    }
  return fence;
}

void ClusterNode::committed(const std::vector<sinks::PartitionOffset>& offsets) {
  for (const auto& o : offsets)
    if (restored_.contains(o.partition) || releasing_.contains(o.partition))
      offsets_[o.partition] = std::max(offsets_[o.partition], o.offset);
}

std::string ClusterNode::unready_reason() const {
  if (assigned_.empty()) return "cluster: no shard assigned to this instance (yet)";
  if (restored_.size() < assigned_.size())
    return "cluster: restoring " + std::to_string(assigned_.size() - restored_.size()) + " shards";
  return {};
}

std::string ClusterNode::status_json() const {
  boost::json::object out;
  out["instance_id"] = config_.instance_id;
  out["group"] = config_.group;
  out["state_topic"] = config_.state_topic();
  out["shards"] = config_.shards;
  out["exactly_once"] = config_.exactly_once;
  boost::json::array owned, restoring, members;
  for (int shard : restored_) owned.push_back(shard);
  for (int shard : assigned_)
    if (!restored_.contains(shard)) restoring.push_back(shard);
  for (const auto& member : consumer_->members())
    members.push_back({{"member_id", member.member_id}, {"client_id", member.client_id}, {"host", member.host}});
  out["owned"] = std::move(owned);
  out["restoring"] = std::move(restoring);
  out["members"] = std::move(members);
  out["rebalances"] = consumer_->rebalances();
  out["index_lag_seconds"] = index_lag_seconds_;
  out["index_caught_up"] = follower_->caught_up();
  std::size_t polled = 0;
  for (const auto& source : sources_) polled += polls(source);
  out["sources_polled"] = polled;
  return boost::json::serialize(out);
}

std::string ClusterNode::summary() const {
  std::vector<int> owned(restored_.begin(), restored_.end());
  return "member " + config_.instance_id + " of group " + config_.group + ": shards " +
         (owned.empty() ? std::string("none") : shard_list(owned)) + " of " + std::to_string(config_.shards) + " (" +
         std::to_string(assigned_.size() - restored_.size()) + " restoring); " +
         std::to_string(consumer_->members().size()) + " members";
}

void ClusterNode::collect_metrics() const {
  auto& m = parts_.metrics;
  m.cluster_owned_shards.with().set(static_cast<double>(restored_.size()));
  m.cluster_restoring_shards.with().set(static_cast<double>(assigned_.size() - restored_.size()));
  m.cluster_restore_seconds.with().set(restore_seconds_);
  m.cluster_rebalances.with().set(consumer_->rebalances());
  m.cluster_index_lag.with().set(index_lag_seconds_);
  if (parts_.transactions) {
    m.cluster_transactions.with({"committed"}).set(parts_.transactions->committed());
    m.cluster_transactions.with({"aborted"}).set(parts_.transactions->aborted());
    m.cluster_fenced.with().set(parts_.transactions->fenced());
  }
}

}  // namespace newsd::daemon
