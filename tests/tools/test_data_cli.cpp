// The data commands as a user meets them: `hsnet data download` refusing a mirror's archive
// whose checksum is not the published one and leaving nothing behind, offline likewise;
// `hsnet train` without the data naming the command that fetches it; and a training run on
// an image folder whose checkpoint carries the class names that `hsnet predict` prints.
#include <catch2/catch.hpp>
#include <filesystem>

#include "test_util/temp_dir.h"
#include "tests/data/http_server_util.h"
#include "tests/data/image_tree_util.h"
#include "tests/tools/cli_test_util.h"
#include "tools/model_io.h"

using namespace hs;
using Catch::Contains;
namespace fs = std::filesystem;

TEST_CASE("data download refuses an archive that is not the published one", "[tools][data]") {
  test::TempDir temp("hsnet-test-data-cli-download");
  test::write_bytes(temp.path() / "served/cifar-10-binary.tar.gz", {'n', 'o', 't'});
  const fs::path dir = temp.path() / "cifar";
  SECTION("wrong checksum") {
    test::LocalServer server(temp.path() / "served");
    const auto [status, out] = test::run_hsnet("data download cifar10 --dir " + dir.string(),
                                               "env HSNET_DATA_MIRROR=" + server.url());
    CHECK(status == 2);
    CHECK_THAT(out, Contains(server.url() + "cifar-10-binary.tar.gz has MD5") &&
                        Contains("c32a1d4ab5d03f1284b67883e8d87530 is published"));
  }
  SECTION("offline") {
    const std::string url = test::unreachable_url();
    const auto [status, out] = test::run_hsnet("data download cifar10 --dir " + dir.string(),
                                               "env HSNET_DATA_MIRROR=" + url);
    CHECK(status == 2);
    CHECK_THAT(out, Contains("cannot fetch " + url + "cifar-10-binary.tar.gz"));
  }
  // Neither the dataset folder nor a staging folder beside it.
  for (const auto& entry : fs::directory_iterator(temp.path()))
    CHECK(entry.path().filename().string().find("cifar") == std::string::npos);
}

TEST_CASE("train without the data names the command that fetches it", "[tools][data]") {
  test::TempDir temp("hsnet-test-data-cli-missing");
  const std::string dir = (temp.path() / "nowhere").string();
  const auto [status, out] = test::run_hsnet("train --dataset cifar10 --data " + dir + " --out " +
                                             (temp.path() / "run").string());
  CHECK(status == 2);
  CHECK_THAT(out, Contains("no cifar10 data in " + dir) &&
                      Contains("`hsnet data download cifar10 --dir " + dir + "`"));
  CHECK_FALSE(fs::exists(temp.path() / "run"));
}

TEST_CASE("a model trained on an image folder predicts its class names", "[tools][data]") {
  test::TempDir temp("hsnet-test-data-cli-folder");
  const fs::path root = temp.path() / "images";
  for (const char* split : {"train", "val"}) {
    test::write_jpeg(root / split / "red/a.jpg", test::flat_image(3, 40, 48, {220, 20, 20}));
    test::write_png(root / split / "red/b.png", test::flat_image(3, 36, 36, {200, 40, 30}));
    test::write_jpeg(root / split / "blue/c.jpg", test::flat_image(3, 40, 40, {20, 30, 220}));
    test::write_png(root / split / "blue/d.png", test::flat_image(1, 32, 44, {60}));
  }
  test::write_bytes(root / "train/blue/broken.jpg", {0xff, 0xd8, 0xff, 0xe0, 0, 16});
  const std::string out_dir = (temp.path() / "run").string();
  const std::string args = "train --dataset folder --data " + root.string() +
                           " --model resnet20_cifar --epochs 1 --batch-size 2 --threads 1"
                           " --out " +
                           out_dir;
  SECTION("a bad file stops the run, naming it") {
    const auto [status, out] = test::run_hsnet(args);
    CHECK(status == 2);
    CHECK_THAT(out, Contains("broken.jpg") && Contains("not a valid JPEG"));
  }
  SECTION("--skip-bad-images trains on the rest and counts it") {
    const auto [status, out] = test::run_hsnet(args + " --skip-bad-images");
    INFO(out);
    REQUIRE(status == 0);
    CHECK_THAT(out,
               Contains("skipped 1 files that are not valid images") && Contains("broken.jpg"));
    const tools::LoadedModel lm = tools::load_model(out_dir + "/last.safetensors");
    CHECK(lm.meta.class_names == std::vector<std::string>{"blue", "red"});
    CHECK(lm.meta.dataset == "folder");
    CHECK(lm.meta.height == 32);
    const auto [pstatus, pout] =
        test::run_hsnet("predict --checkpoint " + out_dir + "/last.safetensors --topk 2 " +
                        (root / "val/red/a.jpg").string());
    INFO(pout);
    CHECK(pstatus == 0);
    CHECK_THAT(pout, Contains("a.jpg: ") && Contains("red ") && Contains("blue "));
  }
}
