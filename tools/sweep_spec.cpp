#include "tools/sweep_spec.h"

#include <algorithm>
#include <fstream>
#include <random>

#include "core/error.h"
#include "models/registry.h"
#include "nn/init.h"

namespace hs::tools {

namespace {

using ojson = nlohmann::ordered_json;
using json = nlohmann::json;

const std::vector<std::string> kSpecKeys = {"base", "set", "grid", "random", "seeds", "out"};

json plain(const ojson& j) { return json::parse(j.dump()); }

json read_json_file(const std::string& path, const char* what) {
  std::ifstream f(path);
  HS_CHECK(f.good(), "sweep: cannot read ", what, " ", path);
  try {
    return json::parse(f);
  } catch (const json::exception& e) {
    HS_FAIL("sweep: ", what, " ", path, " is not valid JSON (", e.what(), ")");
  }
}

// Sets `key` ("lr" or "model_options.ratio") in a training config's JSON.
void set_key(json& config, const std::string& key, const json& value) {
  const auto dot = key.find('.');
  if (dot == std::string::npos) {
    config[key] = value;
    return;
  }
  const std::string head = key.substr(0, dot), tail = key.substr(dot + 1);
  HS_CHECK(head == "model_options" && !tail.empty() && tail.find('.') == std::string::npos,
           "sweep: key '", key, "' must be a training key or model_options.<option>");
  json& options = config["model_options"];
  // A base or an axis may have set model_options to something else (found by fuzzing).
  HS_CHECK(options.is_null() || options.is_object(), "sweep: key '", key,
           "' needs 'model_options' to be an object, but it is a JSON ", options.type_name());
  options[tail] = value;
}

// Short, file-name-safe text of one axis value in a trial name.
std::string name_part(const std::string& axis, const json& value) {
  const auto dot = axis.rfind('.');
  std::string text = axis.substr(dot == std::string::npos ? 0 : dot + 1);
  if (value.is_string()) {
    text = value.get<std::string>();  // a model name says itself
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) text += (i ? "_" : "") + value[i].dump();
  } else {
    text += value.dump();
  }
  for (char& c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  return text;
}

std::vector<ojson> grids_of(const ojson& spec) {
  if (!spec.contains("grid")) return {};
  const ojson& g = spec["grid"];
  HS_CHECK(g.is_object() || g.is_array(),
           "sweep: 'grid' must be an object of axes or a list of them");
  std::vector<ojson> grids;
  if (g.is_object()) grids.push_back(g);
  for (const ojson& one : g.is_array() ? g : ojson::array()) {
    HS_CHECK(one.is_object(), "sweep: every entry of 'grid' must be an object of axes, got ",
             one.dump());
    grids.push_back(one);
  }
  for (const ojson& one : grids)
    for (const auto& [axis, values] : one.items())
      HS_CHECK(values.is_array() && !values.empty(), "sweep: grid axis '", axis,
               "' must be a non-empty list of values, got ", values.dump());
  return grids;
}

// Every combination of a grid's axes, the last axis varying fastest.
std::vector<json> combinations(const ojson& grid) {
  std::vector<json> out = {json::object()};
  for (const auto& [axis, values] : grid.items()) {
    std::vector<json> next;
    for (const json& partial : out)
      for (const ojson& v : values) {
        json p = partial;
        p[axis] = plain(v);
        next.push_back(p);
      }
    out = next;
  }
  return out;
}

json draw(const std::string& axis, const ojson& dist, std::mt19937_64& rng) {
  HS_CHECK(
      dist.is_object() && dist.size() == 1, "sweep: random axis '", axis,
      "' must be one of {\"choice\": [..]}, {\"uniform\": [lo, hi]}, {\"int\": [lo, hi]}, got ",
      dist.dump());
  // The key and value are copied out of the iterator: a structured binding to
  // *dist.items().begin() would refer to a temporary destroyed at the end of the statement
  // (AddressSanitizer's stack-use-after-scope).
  const std::string kind = dist.begin().key();
  const ojson& arg = dist.begin().value();
  if (kind == "choice") {
    HS_CHECK(arg.is_array() && !arg.empty(), "sweep: random axis '", axis,
             "': choice needs a non-empty list, got ", arg.dump());
    return plain(arg[std::uniform_int_distribution<std::size_t>(0, arg.size() - 1)(rng)]);
  }
  HS_CHECK((kind == "uniform" || kind == "int") && arg.is_array() && arg.size() == 2 &&
               arg[0].is_number() && arg[1].is_number() && arg[0] <= arg[1],
           "sweep: random axis '", axis, "': '", kind, "' needs [lo, hi] with lo <= hi, got ",
           arg.dump());
  if (kind == "int")
    return std::uniform_int_distribution<std::int64_t>(arg[0].get<std::int64_t>(),
                                                       arg[1].get<std::int64_t>())(rng);
  return std::uniform_real_distribution<double>(arg[0].get<double>(), arg[1].get<double>())(rng);
}

std::vector<json> random_points(const ojson& spec, std::vector<std::string>& axes) {
  if (!spec.contains("random")) return {};
  const ojson& r = spec["random"];
  HS_CHECK(r.is_object(), "sweep: 'random' must be an object {n, seed, space}");
  for (const auto& [key, v] : r.items())
    HS_CHECK(key == "n" || key == "seed" || key == "space", "sweep: unknown key 'random.", key,
             "' (valid: n, seed, space)");
  HS_CHECK(r.contains("n") && r["n"].is_number_integer() && r["n"].get<std::int64_t>() >= 1,
           "sweep: 'random.n' must be an integer >= 1");
  HS_CHECK(r.contains("space") && r["space"].is_object() && !r["space"].empty(),
           "sweep: 'random.space' must be a non-empty object of axes");
  HS_CHECK(!r.contains("seed") || (r["seed"].is_number_integer() && r["seed"] >= 0),
           "sweep: 'random.seed' must be an integer >= 0");
  std::mt19937_64 rng(r.value("seed", std::uint64_t{0}));
  for (const auto& [axis, dist] : r["space"].items())
    if (std::find(axes.begin(), axes.end(), axis) == axes.end()) axes.push_back(axis);
  std::vector<json> points;
  for (std::int64_t i = 0; i < r["n"].get<std::int64_t>(); ++i) {
    json p = json::object();
    for (const auto& [axis, dist] : r["space"].items()) p[axis] = draw(axis, dist, rng);
    points.push_back(p);
  }
  return points;
}

// The trial's config, checked as `hsnet train` would and by building its model.
TrainConfig check_trial(const json& config, const SweepTrial& t) {
  try {
    TrainConfig c = TrainConfig::from_json(config);
    c.validate();
    json options = c.model_options;
    // The registry's own defaults stand in for the dataset's classes and channels; the
    // weights are not drawn (a wide trial's took 0.3 s each, found by fuzz_sweep_spec).
    const nn::SkipInit skip_init;
    models::create_model(c.model, options);
    return c;
  } catch (const Error& e) {
    HS_FAIL("sweep: trial ", t.name, " (", t.axes.dump(), "): ", e.what());
  }
}

}  // namespace

SweepSpec SweepSpec::parse(const ojson& spec, const std::string& out) {
  HS_CHECK(spec.is_object(), "sweep: the spec must be a JSON object");
  for (const auto& [key, v] : spec.items())
    HS_CHECK(std::find(kSpecKeys.begin(), kSpecKeys.end(), key) != kSpecKeys.end(),
             "sweep: unknown key '", key, "' (valid: base, set, grid, random, seeds, out)");
  HS_CHECK(spec.contains("base"), "sweep: the spec needs a 'base' config (a file name or object)");
  json base;
  if (spec["base"].is_string()) {
    base = read_json_file(spec["base"].get<std::string>(), "base config");
  } else {
    HS_CHECK(spec["base"].is_object(), "sweep: 'base' must be a config file name or object");
    base = plain(spec["base"]);
  }
  if (spec.contains("set")) {
    HS_CHECK(spec["set"].is_object(), "sweep: 'set' must be an object of key: value");
    for (const auto& [key, v] : spec["set"].items()) set_key(base, key, plain(v));
  }
  // The base's own seed, unless 'seeds' replaces it (found by fuzzing: a seed of another type
  // escaped as nlohmann's type_error).
  HS_CHECK(!base.contains("seed") || (base["seed"].is_number_integer() && base["seed"] >= 0),
           "sweep: the base config's 'seed' must be an integer >= 0, got ", base["seed"].dump());
  std::vector<std::uint64_t> seeds = {base.value("seed", std::uint64_t{0})};
  if (spec.contains("seeds")) {
    const ojson& s = spec["seeds"];
    HS_CHECK(s.is_array() && !s.empty(), "sweep: 'seeds' must be a non-empty list of integers");
    seeds.clear();
    for (const ojson& v : s) {
      HS_CHECK(v.is_number_integer() && v >= 0, "sweep: 'seeds' must hold integers >= 0, got ",
               v.dump());
      seeds.push_back(v.get<std::uint64_t>());
    }
  }

  SweepSpec result;
  HS_CHECK(!spec.contains("out") || spec["out"].is_string(),
           "sweep: 'out' must be a folder name (a string), got ", spec["out"].dump());
  result.out = !out.empty() ? out : spec.value("out", std::string{});
  HS_CHECK(!result.out.empty(), "sweep: no output folder (give 'out' in the spec or --out)");
  std::vector<json> points;
  for (const ojson& grid : grids_of(spec)) {
    for (const auto& [axis, values] : grid.items())
      if (std::find(result.axes.begin(), result.axes.end(), axis) == result.axes.end())
        result.axes.push_back(axis);
    for (const json& p : combinations(grid)) points.push_back(p);
  }
  for (const json& p : random_points(spec, result.axes)) points.push_back(p);
  HS_CHECK(!points.empty(), "sweep: the spec has no 'grid' or 'random' axes: nothing to sweep");
  for (const std::string& axis : result.axes) {
    HS_CHECK(axis != "seed", "sweep: use 'seeds', not an axis 'seed'");
    HS_CHECK(axis != "out", "sweep: 'out' cannot be an axis");
    json probe = base;
    set_key(probe, axis, nullptr);  // the key's form is checked even where no trial uses it
  }

  for (const json& point : points)
    for (std::uint64_t seed : seeds) {
      SweepTrial t;
      t.seed = seed;
      t.axes = json::object();
      char index[16];
      std::snprintf(index, sizeof index, "%02zu", result.trials.size());
      t.name = index;
      json config = base;
      for (const std::string& axis : result.axes) {
        const bool has = point.contains(axis);
        t.axes[axis] = has ? point[axis] : json(nullptr);
        if (!has) continue;
        set_key(config, axis, point[axis]);
        t.name += "-" + name_part(axis, point[axis]);
      }
      t.name += "-seed" + std::to_string(seed);
      config["seed"] = seed;
      config["out"] = result.out + "/trials/" + t.name;
      t.config = check_trial(config, t);
      result.trials.push_back(std::move(t));
    }
  return result;
}

SweepSpec SweepSpec::read(const std::string& path, const std::string& out) {
  std::ifstream f(path);
  HS_CHECK(f.good(), "sweep: cannot read the spec ", path);
  try {
    return parse(ojson::parse(f), out);
  } catch (const ojson::exception& e) {
    HS_FAIL("sweep: the spec ", path, " is not valid JSON (", e.what(), ")");
  }
}

}  // namespace hs::tools
