#include <catch2/catch.hpp>

#include "core/units.hpp"

using namespace trainsim;

TEST_CASE("units parse strictly with units", "[units]") {
  std::string why;
  CHECK(units::parse(units::Kind::Bandwidth, "200Gbps", &why).value() == Approx(25e9));
  CHECK(units::parse(units::Kind::Bandwidth, "25GB/s", &why).value() == Approx(25e9));
  CHECK(units::parse(units::Kind::Time, "1.5us", &why).value() == Approx(1.5e-6));
  CHECK(units::parse(units::Kind::Size, "80GiB", &why).value() == Approx(80.0 * 1024 * 1024 * 1024));
  CHECK(units::parse(units::Kind::FlopRate, "312TFLOP/s", &why).value() == Approx(312e12));
  CHECK_FALSE(units::parse(units::Kind::Bandwidth, "200", &why));
  CHECK(why.find("bare number") != std::string::npos);
  CHECK_FALSE(units::parse(units::Kind::Bandwidth, "200furlongs", &why));
  CHECK(why.find("unknown unit \"furlongs\"") != std::string::npos);
  CHECK_FALSE(units::parse(units::Kind::Time, "", &why));
}
