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

TEST_CASE("quantities print with at least 4 significant digits", "[units]") {
  // Regression (issue 10): "20 s" was printed for an iteration of 19.971 s.
  CHECK(units::format_time(19.971) == "19.97 s");
  CHECK(units::format_time(0.56033) == "560.3 ms");
  CHECK(units::format_time(0.003) == "3 ms");  // exact values print exactly
  CHECK(units::format_time(0.0048312) == "4.831 ms");
  CHECK(units::format_time(0) == "0 s");
  CHECK(units::format_size(80 * units::GiB) == "80 GiB");
  CHECK(units::format_size(1.5 * units::TiB) == "1.500 TiB");
  CHECK(units::format_bandwidth(25.6e9) == "25.60 GB/s");
  CHECK(units::format_significant(233938.4) == "233938");
  CHECK(units::format_significant(82.2347) == "82.23");
  CHECK(units::format_significant(0.031294) == "0.03129");
  CHECK(units::format_significant(3.1e-5) == "3.100e-05");
  // Never a 300-digit number.
  CHECK(units::format_significant(1e300) == "1.000e+300");
  CHECK(units::format_fixed(1e300, 2) == "1.000e+300");
}

TEST_CASE("percentages never print as -0.0 %", "[units]") {
  // Regression (issue 10): "pipeline bubble -0.0 %".
  CHECK(units::format_percent(-1e-12) == "0 %");
  CHECK(units::format_percent(-0.0) == "0 %");
  CHECK(units::format_percent(0.33187) == "33.19 %");
  CHECK(units::format_percent(0.0052) == "0.52 %");
  CHECK(units::format_percent(1.0) == "100 %");
  CHECK(units::format_percent(0.263) == "26.30 %");
  CHECK(units::format_fixed(-0.0001, 1) == "0.0");
}
