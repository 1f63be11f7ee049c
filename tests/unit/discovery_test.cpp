#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "discovery/consul_registrar.hpp"

namespace storefront::discovery {
namespace {

TEST(HttpUrl, ParsesAgentAddresses) {
  auto u = parse_http_url("http://consul:8500");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "consul");
  EXPECT_EQ(u->port, "8500");
  EXPECT_EQ(u->base_path, "");
  u = parse_http_url("http://127.0.0.1:18500/prefix/");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->base_path, "/prefix");
  EXPECT_EQ(parse_http_url("http://consul")->port, "8500");
  EXPECT_FALSE(parse_http_url("https://consul:8501"));
  EXPECT_FALSE(parse_http_url("consul:8500"));
}

TEST(Registration, PayloadFollowsTheAgentServiceApi) {
  RegistrationOptions o;
  o.instance_id = "storefront-a-8080";
  o.address = "172.28.0.21";
  o.port = 8080;
  o.version = "1.2.3";
  auto v = boost::json::parse(registration_payload(o)).as_object();
  EXPECT_EQ(v.at("ID"), "storefront-a-8080");
  EXPECT_EQ(v.at("Name"), "storefront");
  EXPECT_EQ(v.at("Address"), "172.28.0.21");
  EXPECT_EQ(v.at("Port"), 8080);
  EXPECT_EQ(v.at("Meta").at("version"), "1.2.3");
  const auto& check = v.at("Check").as_object();
  EXPECT_EQ(check.at("HTTP"), "http://172.28.0.21:8080/health/ready");
  EXPECT_EQ(check.at("Interval"), "5s");
  EXPECT_EQ(check.at("Timeout"), "2s");
  EXPECT_EQ(check.at("DeregisterCriticalServiceAfter"), "600s");
  o.check_interval = std::chrono::seconds(1);
  EXPECT_EQ(boost::json::parse(registration_payload(o)).at("Check").at("Interval"), "1s");
}

TEST(Registration, DetectsALocalIpForLoopbackPeer) {
  auto ip = detect_local_ip("127.0.0.1", "8500");
  ASSERT_TRUE(ip);
  EXPECT_EQ(*ip, "127.0.0.1");
}

}  // namespace
}  // namespace storefront::discovery
