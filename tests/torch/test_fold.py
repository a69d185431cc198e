"""bench/torch_bench.py --fold-bn: the PyTorch side of compare.py's folded inference rows folds
every batch norm of every model twin, and the folded twin's logits equal the unfolded ones.
Exit 77 (skipped) without the torch module, or a failure when HSNET_REQUIRE_TORCH=1 (CI)."""
import copy
import os
import sys

SOURCE_ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                                  "..", "..")
try:
    import torch
except ImportError:
    if os.environ.get("HSNET_REQUIRE_TORCH") == "1":
        print("test_fold: FAIL (python3-torch not installed, and HSNET_REQUIRE_TORCH=1)")
        sys.exit(1)
    print("test_fold: SKIPPED (python3-torch not installed)")
    sys.exit(77)

sys.path.insert(0, os.path.join(SOURCE_ROOT, "bench"))
import torch_models  # noqa: E402
from torch_bench import fold_batch_norms  # noqa: E402

torch.set_num_threads(1)
failures = 0
for name in ["hs_resnet29_cifar", "resnet20_cifar", "res2net29_cifar", "skresnet29_cifar"]:
    torch.manual_seed(0)
    model = torch_models.create_model(name)
    x = torch.randn(3, 3, 32, 32)
    model.train(True)
    with torch.no_grad():  # batch statistics that are not the initial 0 and 1
        model(x)
    model.eval()
    batch_norms = sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    folded = fold_batch_norms(copy.deepcopy(model), x)
    left = sum(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    with torch.no_grad():
        expected, got = model(x), folded(x)
    rel = ((expected - got).abs().max() / expected.abs().max()).item()
    ok = batch_norms > 0 and left == 0 and rel < 1e-5
    failures += not ok
    print(f"{name}: {batch_norms} batch norms, {left} left after folding, "
          f"logits rel. diff {rel:.1e}: {'ok' if ok else 'FAIL'}")
sys.exit(1 if failures else 0)
