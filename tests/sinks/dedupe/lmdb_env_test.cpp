// Damaged state files: each must be a clear start-up error naming the file
// and what to do, never a crash and never a silently empty store.
#include "sinks/lmdb/lmdb_env.hpp"

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <lmdb.h>

#include "tests/support/test_dir.hpp"

#include "sinks/dedupe/dedupe_index.hpp"
#include "sinks/outbox/delivery_state.hpp"

namespace newsd::sinks {
namespace {

namespace fs = std::filesystem;

class LmdbEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_ = testing_support::fresh_test_dir("newsd-lmdb-");
    dir_ = state_ / "delivery";
  }
  void TearDown() override { fs::remove_all(state_); }

  // A store of a few hundred pages.
  void write_store() {
    DeliveryState state(dir_);
    std::vector<std::pair<std::string, OutRecord>> records;
    for (int i = 0; i < 2000; ++i)
      records.emplace_back("id" + std::to_string(i),
                           OutRecord{"news", "id" + std::to_string(i), std::string(600, 'x'), {}});
    ASSERT_TRUE(state.enqueue(std::move(records)));
    ASSERT_GT(fs::file_size(data()), 100u * page());
  }

  fs::path data() const { return dir_ / "data.mdb"; }
  static std::uintmax_t page() { return static_cast<std::uintmax_t>(::sysconf(_SC_PAGESIZE)); }

  // Opening must throw an error that names the file and says to move the
  // state directory away.
  template <typename Open>
  void expect_damage_reported(Open open) {
    try {
      open();
      FAIL() << "a damaged " << data() << " was opened";
    } catch (const std::runtime_error& e) {
      std::string message = e.what();
      EXPECT_NE(message.find(data().string() + " is damaged"), std::string::npos) << message;
      EXPECT_NE(message.find("move the state directory away"), std::string::npos) << message;
      EXPECT_NE(message.find("mv " + state_.string()), std::string::npos) << message;
      EXPECT_NE(message.find("newsd rebuild-state --config FILE"), std::string::npos) << message;
    }
  }

  fs::path state_;
  fs::path dir_;
};

TEST_F(LmdbEnvTest, AnIntactStoreOpensWithItsRecords) {
  write_store();
  DeliveryState reopened(dir_);
  EXPECT_EQ(reopened.outbox_size(), 2000u);
}

TEST_F(LmdbEnvTest, ANewStoreIsCreatedWhereNoFileIs) {
  DeliveryState state(dir_);
  EXPECT_EQ(state.outbox_size(), 0u);
  EXPECT_TRUE(fs::exists(data()));
}

TEST_F(LmdbEnvTest, AFileCutInHalfIsReportedNotACrash) {
  write_store();
  fs::resize_file(data(), fs::file_size(data()) / 2);
  expect_damage_reported([&] { DeliveryState state(dir_); });
}

TEST_F(LmdbEnvTest, AnEmptyFileIsDamageNotANewStore) {
  fs::create_directories(dir_);
  std::ofstream(data()).close();
  expect_damage_reported([&] { DeliveryState state(dir_); });
  EXPECT_EQ(fs::file_size(data()), 0u) << "the damaged file was overwritten";
}

TEST_F(LmdbEnvTest, AFileShorterThanItsMetaPagesIsDamage) {
  write_store();
  fs::resize_file(data(), page() + 100);
  expect_damage_reported([&] { DeliveryState state(dir_); });
}

TEST_F(LmdbEnvTest, GarbageAfterTheMetaPagesIsReportedNotACrash) {
  write_store();
  const auto size = fs::file_size(data());
  {
    std::fstream file(data(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(2 * page()));
    std::mt19937 random(17);
    for (auto i = 2 * page(); i < size; ++i) file.put(static_cast<char>(random() & 0xff));
  }
  ASSERT_EQ(fs::file_size(data()), size);
  expect_damage_reported([&] { DeliveryState state(dir_); });
}

// Both meta pages claim a file half as long as the tree is, and the file is
// cut to match: the size check passes, and reading the tree must not
// crash (pages beyond the end of a mapped file are SIGBUS).
TEST_F(LmdbEnvTest, ATreeReachingPastTheEndOfTheFileIsReportedNotACrash) {
  write_store();
  const auto pages = fs::file_size(data()) / page();
  const std::uint64_t last = pages / 2 - 1;
  {
    // MDB_meta after the 16-byte page header: magic, version (4 + 4),
    // address, map size (8 + 8), two 48-byte MDB_db, then mm_last_pg.
    constexpr std::size_t kLastPageOffset = 16 + 4 + 4 + 8 + 8 + 2 * 48;
    std::fstream file(data(), std::ios::in | std::ios::out | std::ios::binary);
    for (std::uintmax_t meta = 0; meta < 2; ++meta) {
      file.seekp(static_cast<std::streamoff>(meta * page() + kLastPageOffset));
      file.write(reinterpret_cast<const char*>(&last), sizeof last);
    }
  }
  fs::resize_file(data(), (last + 1) * page());
  expect_damage_reported([&] { DeliveryState state(dir_); });
}

// LMDB counts pages that a transaction allocated and freed again ("loose"
// pages: back to the free list, never written) in the meta page's last page
// number, so a healthy file can be shorter than (last page + 1) × page size.
// Commits that fill a table and empty half of it again produce such a file.
// Returns whether one was produced (the environment is closed again).
bool write_store_shorter_than_its_last_page(const fs::path& dir) {
  MDB_env* env = nullptr;
  if (mdb_env_create(&env) != MDB_SUCCESS) return false;
  mdb_env_set_mapsize(env, std::size_t(1) << 30);
  mdb_env_set_maxdbs(env, 4);
  bool shorter = false;
  if (mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0640) == MDB_SUCCESS) {
    const std::string value(600, 'x');
    for (int round = 0; round < 20 && !shorter; ++round) {
      MDB_txn* txn = nullptr;
      MDB_dbi dbi;
      if (mdb_txn_begin(env, nullptr, 0, &txn) != MDB_SUCCESS) break;
      mdb_dbi_open(txn, "table", MDB_CREATE, &dbi);
      for (int i = 0; i < 2000; ++i) {
        std::string key = "r" + std::to_string(round) + "-" + std::to_string(100000 + i);
        MDB_val k{key.size(), key.data()}, v{value.size(), const_cast<char*>(value.data())};
        mdb_put(txn, dbi, &k, &v, 0);
      }
      for (int i = 0; i < 2000; i += round % 2 ? 1 : 2) {
        std::string key = "r" + std::to_string(round) + "-" + std::to_string(100000 + i);
        MDB_val k{key.size(), key.data()};
        mdb_del(txn, dbi, &k, nullptr);
      }
      if (mdb_txn_commit(txn) != MDB_SUCCESS) break;
      MDB_envinfo info;
      MDB_stat stat;
      mdb_env_info(env, &info);
      mdb_env_stat(env, &stat);
      shorter = fs::file_size(dir / "data.mdb") < (info.me_last_pgno + 1) * std::uintmax_t{stat.ms_psize};
    }
  }
  mdb_env_close(env);
  return shorter;
}

// Why the file's size is not checked against the meta page's last page (the
// guarded walk reads every page the trees reference instead): that check
// would refuse this healthy store.
TEST_F(LmdbEnvTest, AHealthyStoreShorterThanItsLastPageNumberOpens) {
  fs::create_directories(dir_);
  ASSERT_TRUE(write_store_shorter_than_its_last_page(dir_));
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), MDB_SUCCESS);
  mdb_env_set_mapsize(env, std::size_t(1) << 30);
  mdb_env_set_maxdbs(env, 4);
  EXPECT_NO_THROW(open_lmdb_env(env, dir_, "test store"));
  mdb_env_close(env);
}

// The dedupe index opens through the same check.
TEST_F(LmdbEnvTest, TheDedupeIndexReportsAnEmptyFileToo) {
  dir_ = state_ / "dedupe";
  fs::create_directories(dir_);
  std::ofstream(data()).close();
  expect_damage_reported([&] { DedupeIndex index(dir_); });
}

TEST_F(LmdbEnvTest, AnIntactDedupeIndexWithDuplicateTablesOpens) {
  dir_ = state_ / "dedupe";
  std::vector<std::string> ids;
  for (int i = 0; i < 500; ++i) {
    char id[33];
    std::snprintf(id, sizeof id, "%032x", i + 1);
    ids.emplace_back(id);
  }
  {
    DedupeIndex index(dir_);
    std::vector<Observation> batch;
    for (std::size_t i = 0; i < ids.size(); ++i)
      batch.push_back({ids[i], "s1", i + 1, 0x9e3779b97f4a7c15ULL * (i + 1)});
    ASSERT_TRUE(index.observe(batch, std::chrono::system_clock::now()));
  }
  DedupeIndex reopened(dir_);
  EXPECT_EQ(reopened.size(), 500u);
}

}  // namespace
}  // namespace newsd::sinks
