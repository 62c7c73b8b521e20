#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "workload/model_spec.hpp"
#include "workload/presets.hpp"

using namespace trainsim;
using namespace trainsim::workload;

TEST_CASE("GPT layer parameters are 12h^2 + 13h") {
  const ModelSpec m = *find_model_preset("gpt-22b");
  const double h = 6144;
  CHECK(layer_parameters(m) == Approx(12 * h * h + 13 * h).epsilon(1e-15));
  // Tied head: embedding V h + position s h, final LayerNorm 2h.
  CHECK(total_parameters(m) == Approx(48 * (12 * h * h + 13 * h) + 51200 * h + 2048 * h + 2 * h).epsilon(1e-15));
}

TEST_CASE("Preset parameter counts match the published sizes") {
  auto billions = [](const char* name) { return total_parameters(*find_model_preset(name)) / 1e9; };
  CHECK(billions("gpt-1.7b") == Approx(1.7).epsilon(0.05));
  CHECK(billions("gpt-7.5b") == Approx(7.5).epsilon(0.05));
  CHECK(billions("gpt-39.1b") == Approx(39.1).epsilon(0.02));
  CHECK(billions("gpt-145.6b") == Approx(145.6).epsilon(0.02));
  CHECK(billions("gpt-1t") == Approx(1008).epsilon(0.01));
  CHECK(billions("gpt-530b") == Approx(530).epsilon(0.01));
  CHECK(billions("gpt3-175b") == Approx(175).epsilon(0.01));
  CHECK(billions("llama3-8b") == Approx(8.03).epsilon(0.01));
  CHECK(billions("llama3-70b") == Approx(70.6).epsilon(0.01));
  CHECK(billions("llama3-405b") == Approx(405.9).epsilon(0.01));
}

TEST_CASE("Llama 3 8B parameters by hand") {
  const ModelSpec m = *find_model_preset("llama3-8b");
  const double h = 4096, kv = 1024, f = 14336, V = 128256;
  const double layer = h * (h + 2 * kv) + h * h + 3 * h * f + 2 * h;
  CHECK(layer_parameters(m) == layer);
  CHECK(total_parameters(m) == 32 * layer + V * h + (V * h + h));
  CHECK(m.head_dim() == 128);
  CHECK(m.kv_dim() == 1024);
}

TEST_CASE("Every preset is valid and listed by name") {
  const auto names = model_preset_names();
  CHECK(names.size() == model_presets().size());
  CHECK(names.size() == 18);
  for (const auto& n : names) {
    const auto m = find_model_preset(n);
    REQUIRE(m);
    CHECK_NOTHROW(validate(*m));
  }
  CHECK_FALSE(find_model_preset("GPT-22B"));
}

TEST_CASE("Invalid shapes are input errors naming the field") {
  ModelSpec m = *find_model_preset("gpt-22b");
  m.heads = 60;  // 6144 / 60 is not an integer
  try {
    validate(m);
    FAIL("expected InputError");
  } catch (const InputError& e) {
    CHECK(e.key() == "heads");
  }
  m = *find_model_preset("llama3-8b");
  m.kv_heads = 5;
  CHECK_THROWS_AS(validate(m), InputError);
}
