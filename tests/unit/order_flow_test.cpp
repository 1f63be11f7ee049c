// OrderFlow and OrderSweep over the in-memory stores (tests/fakes): every
// step is idempotent, concurrent orders never oversell, and the sweep
// settles what a crash left between two steps.
#include "store/order_flow.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "fakes/fake_order_stores.hpp"
#include "obs/metrics.hpp"
#include "store/order_sweep.hpp"
#include "store/stock_audit.hpp"

namespace storefront::store {
namespace {

Deadline soon() {
  return Deadline::after(std::chrono::seconds(5));
}

class OrderFlowTest : public ::testing::Test {
 protected:
  PlaceRequest request(std::int64_t quantity, std::optional<std::string> key = std::nullopt) {
    return PlaceRequest{std::move(key),
                        "h" + std::to_string(quantity),
                        "c",
                        {OrderItem{"hot", quantity, 100, "RUB"}}};
  }
  // An order as a crash between two steps leaves it: `reserved` held.
  Order crashed(OrderStatus status, OrderPhase phase) {
    Order o;
    o.id = new_order_id();
    o.items = {OrderItem{"hot", 2, 100, "RUB"}};
    o.status = status;
    o.phase = phase;
    o.updated_at_ms = 1;  // long ago
    orders.put(o);
    return o;
  }
  void expect_clean() {
    auto report = audit_stock(stock, orders, 60000, soon());
    ASSERT_TRUE(report);
    EXPECT_TRUE(report->violations.empty()) << report->violations.front();
  }
  SweepOptions sweep_options(std::string owner = "me") {
    SweepOptions o;
    o.owner = std::move(owner);
    o.stuck = std::chrono::milliseconds(1000);
    return o;
  }

  obs::Registry registry;
  fakes::FakeStockStore stock;
  fakes::FakeOrderStore orders;
  fakes::FakeLeaseStore leases;
  OrderFlow flow{stock, orders, registry};
};

TEST_F(OrderFlowTest, SixtyFourThreadsNeverTakeMoreThanFifty) {
  stock.put("hot", 50);
  std::atomic<int> created{0}, refused{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 64; ++i) {
    threads.emplace_back([&] {
      auto placed = flow.place(request(1), soon());
      if (!placed) {
        ++failed;
      } else if (placed->result == Placed::Result::kCreated) {
        ++created;
      } else if (placed->result == Placed::Result::kInsufficient) {
        ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 50);
  EXPECT_EQ(refused.load(), 14);
  EXPECT_EQ(failed.load(), 0);
  auto s = stock.get("hot");
  EXPECT_EQ(std::tie(s.available, s.reserved, s.sold), std::make_tuple(0, 0, 50));
  expect_clean();
}

TEST_F(OrderFlowTest, OneKeyFromSixteenThreadsMakesOneOrder) {
  stock.put("hot", 50);
  std::atomic<int> created{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      auto placed = flow.place(request(3, "key"), soon());
      ASSERT_TRUE(placed);
      (placed->result == Placed::Result::kCreated ? created : other)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(orders.snapshot().size(), 1U);
  EXPECT_EQ(stock.get("hot").sold, 3);
}

TEST_F(OrderFlowTest, NoReserveStartsAfterTheDeadline) {
  stock.put("hot", 5);
  auto placed = flow.place(request(2), Deadline(Clock::now() - std::chrono::seconds(1)));
  ASSERT_FALSE(placed);
  EXPECT_EQ(placed.error().kind, ErrorKind::kTimeout);
  auto s = stock.get("hot");
  EXPECT_EQ(std::tie(s.available, s.reserved, s.sold), std::make_tuple(5, 0, 0));
  EXPECT_EQ(orders.snapshot().at(0).status, OrderStatus::kFailed);
}

TEST_F(OrderFlowTest, RepeatedStepsAreNoOps) {
  stock.put("hot", 5);
  auto take = stock.reserve("hot", "o1", 2, soon());
  auto again = stock.reserve("hot", "o1", 2, soon());
  ASSERT_TRUE(take && again);
  EXPECT_TRUE(again->held);
  EXPECT_EQ(stock.get("hot").reserved, 2);
  EXPECT_TRUE(stock.commit("hot", "o1", 2, soon()).value());
  EXPECT_FALSE(stock.commit("hot", "o1", 2, soon()).value());
  EXPECT_FALSE(stock.release("hot", "o1", 2, soon()).value());
  auto s = stock.get("hot");
  EXPECT_EQ(std::tie(s.available, s.reserved, s.sold), std::make_tuple(3, 0, 2));
}

TEST_F(OrderFlowTest, SweepRollsBackPendingAndFinishesLaterPhases) {
  stock.put("hot", 10);
  auto pending = crashed(OrderStatus::kPending, OrderPhase::kReserving);
  ASSERT_TRUE(stock.reserve("hot", pending.id, 2, soon())->held);
  auto committing = crashed(OrderStatus::kConfirmed, OrderPhase::kCommitting);
  ASSERT_TRUE(stock.reserve("hot", committing.id, 2, soon())->held);
  OrderSweep sweep(flow, orders, leases, sweep_options(), registry);
  auto report = sweep.run_once();
  EXPECT_TRUE(report.leader);
  EXPECT_EQ(report.stuck, 2);
  EXPECT_EQ(report.rolled_back, 1);
  EXPECT_EQ(report.completed, 1);
  auto s = stock.get("hot");
  EXPECT_EQ(std::tie(s.available, s.reserved, s.sold), std::make_tuple(8, 0, 2));
  EXPECT_TRUE(s.pending.empty());
  EXPECT_EQ(sweep.run_once().stuck, 0);
  expect_clean();
}

TEST_F(OrderFlowTest, SweepFinishesAnInterruptedCancellationOnce) {
  stock.put("hot", 10);
  auto o = crashed(OrderStatus::kCancelled, OrderPhase::kReturning);
  ASSERT_TRUE(stock.reserve("hot", o.id, 2, soon())->held);
  ASSERT_TRUE(stock.commit("hot", o.id, 2, soon()).value());
  ASSERT_TRUE(stock.give_back("hot", give_back_marker(o.id), 2, soon()).value());  // then the crash
  OrderSweep sweep(flow, orders, leases, sweep_options(), registry);
  EXPECT_EQ(sweep.run_once().completed, 1);
  auto s = stock.get("hot");
  EXPECT_EQ(std::tie(s.available, s.reserved, s.sold), std::make_tuple(10, 0, 0));
  EXPECT_TRUE(s.pending.empty());
}

TEST_F(OrderFlowTest, OnlyTheLeaseHolderSweeps) {
  stock.put("hot", 10);
  crashed(OrderStatus::kPending, OrderPhase::kReserving);
  leases.holder = "other";
  OrderSweep sweep(flow, orders, leases, sweep_options("me"), registry);
  auto report = sweep.run_once();
  EXPECT_FALSE(report.leader);
  EXPECT_EQ(orders.claims.load(), 0);
  EXPECT_EQ(orders.snapshot().at(0).status, OrderStatus::kPending);
}

TEST_F(OrderFlowTest, SweepLeavesFreshOrdersToTheirRequest) {
  stock.put("hot", 10);
  auto o = crashed(OrderStatus::kPending, OrderPhase::kReserving);
  o.updated_at_ms = now_ms();
  orders.put(o);
  OrderSweep sweep(flow, orders, leases, sweep_options(), registry);
  EXPECT_EQ(sweep.run_once().stuck, 0);
}

TEST_F(OrderFlowTest, AuditSeesBrokenInvariantsAndStuckOrders) {
  stock.put("hot", 10);
  ASSERT_TRUE(stock.reserve("hot", "x", 2, soon())->held);
  crashed(OrderStatus::kConfirmed, OrderPhase::kDone);  // confirmed 2, sold 0
  auto report = audit_stock(stock, orders, 60000, soon());
  ASSERT_TRUE(report);
  EXPECT_EQ(report->violations.size(), 1U);
  EXPECT_NE(report->violations[0].find("sold 0 != 2"), std::string::npos);
  crashed(OrderStatus::kPending, OrderPhase::kReserving);
  EXPECT_EQ(audit_stock(stock, orders, 60000, soon())->violations.size(), 2U);
  stock.down = true;
  EXPECT_FALSE(audit_stock(stock, orders, 60000, soon()));
}

}  // namespace
}  // namespace storefront::store
