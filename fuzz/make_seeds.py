"""Writes the seed inputs of the fuzz targets into fuzz/corpus/<target>/seed_*.

    python3 fuzz/make_seeds.py

Seeds are small valid (and a few nearly valid) inputs of each format, so the fuzzers start
past the magic numbers and headers. Inputs of past findings live beside them as
regression_* files and are never rewritten here. The JPEG seeds (corpus/jpeg: RGB, gray,
progressive, restart markers, CMYK, and a truncated file) were written once with libjpeg's own
encoder, Python's standard library having none, and are not rewritten here either.
"""
import gzip
import json
import os
import struct
import zlib

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, "seed_" + name), "wb") as f:
        f.write(data)


def safetensors(tensors, metadata=None):
    header, blobs, offset = {}, b"", 0
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        blobs += raw
        offset += len(raw)
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + blobs


def safetensors_seeds():
    put("safetensors", "f32", safetensors({"w": ("F32", [2, 3], struct.pack("<6f", *range(6)))}))
    put("safetensors", "mixed", safetensors({
        "a.weight": ("F64", [2], struct.pack("<2d", 0.5, -1.5)),
        "a.num_batches_tracked": ("I64", [], struct.pack("<q", 7)),
        "empty": ("F32", [0, 4], b""),
    }, {"format": "pt", "progress": "1:0"}))
    put("safetensors", "empty", safetensors({}))


def idx(magic_dims, values):
    return struct.pack(">I", 0x0800 | len(magic_dims)) + struct.pack(f">{len(magic_dims)}I",
                                                                     *magic_dims) + bytes(values)


def idx_input(flags, num_classes, labels, images):
    return bytes([flags, num_classes - 1]) + struct.pack("<H", len(labels)) + labels + images


def idx_seeds():
    labels = idx([3], [0, 1, 9])
    images = idx([3, 2, 2], range(12))
    put("idx", "plain", idx_input(0, 10, labels, images))
    put("idx", "gzip_both", idx_input(3, 10, labels, images))
    put("idx", "gz_file", idx_input(0, 10, gzip.compress(labels, mtime=0), gzip.compress(images, mtime=0)))
    put("idx", "few_classes", idx_input(1, 2, idx([2], [0, 1]), idx([2, 1, 3], range(6))))


def cifar_seeds():
    pixels = bytes(i % 256 for i in range(3072))
    put("cifar", "cifar10", bytes([0]) + bytes([3]) + pixels + bytes([9]) + pixels)
    put("cifar", "cifar100_fine", bytes([1]) + bytes([4, 99]) + pixels)
    put("cifar", "cifar100_coarse", bytes([2]) + bytes([19, 0]) + pixels)


def png(width, height, color_type, depth, rows, palette=None, interlaced=False):
    """rows: the filtered-free scanline bytes of each pass image, concatenated per pass."""
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 1 if interlaced else 0)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    if palette:
        out += chunk(b"PLTE", palette)
    return out + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def scanlines(width, height, bits_per_pixel, byte_at):
    row_bytes = (width * bits_per_pixel + 7) // 8
    return b"".join(b"\x00" + bytes(byte_at(x, y) for x in range(row_bytes)) for y in range(height))


def png_seeds():
    put("png", "gray8", png(5, 4, 0, 8, scanlines(5, 4, 8, lambda x, y: 40 * x + y)))
    put("png", "rgb8", png(3, 2, 2, 8, scanlines(3, 2, 24, lambda x, y: 20 * x + y)))
    put("png", "gray1", png(9, 3, 0, 1, scanlines(9, 3, 1, lambda x, y: 0xA5 ^ y)))
    put("png", "palette", png(4, 2, 3, 8, scanlines(4, 2, 8, lambda x, y: (x + y) % 3),
                               palette=bytes([255, 0, 0, 0, 255, 0, 0, 0, 255])))
    put("png", "rgba16", png(2, 2, 6, 16, scanlines(2, 2, 64, lambda x, y: 7 * x + y)))
    put("png", "gray_alpha8", png(3, 3, 4, 8, scanlines(3, 3, 16, lambda x, y: x * y)))
    # Adam7: the seven pass images of a 3x3 gray image are 1x1, empty, empty, 1x1, 2x1, 1x2, 3x1.
    passes = b"".join(scanlines(w, h, 8, lambda x, y: 60 * x + y)
                      for w, h in [(1, 1), (1, 1), (2, 1), (1, 2), (3, 1)])
    put("png", "interlaced", png(3, 3, 0, 8, passes, interlaced=True))


def train_config_seeds():
    configs = os.path.join(os.path.dirname(CORPUS), "..", "configs")
    for name in sorted(os.listdir(configs)):
        with open(os.path.join(configs, name), "rb") as f:
            put("train_config", name, f.read())
    put("train_config", "multistep.json", json.dumps({
        "model": "resnet20_cifar", "model_options": {"s": 4}, "schedule": "multistep",
        "milestones": [2, 3], "gamma": 0.2, "epochs": 3, "optimizer": "adamw", "nesterov": True,
        "label_smoothing": 0.1, "crop_padding": 0, "flip": False, "seed": 5, "limit_train": 10,
        "stop_after_steps": 2}))


def resume_state_seeds():
    metric = {"epoch": 1, "train_loss": 0.9, "test_loss": 1.1, "train_acc": 0.6, "test_acc": 0.55,
              "lr": 0.05, "seconds": 3.5, "images_per_second": 100.0}
    put("resume_state", "epoch1.json", json.dumps({
        "epoch": 1, "step": 3, "loss_sum": 2.5, "seconds": 4.0, "correct": 20, "seen": 48,
        "best_test_acc": 0.55, "metrics": [metric]}, indent=2))
    put("resume_state", "start.json", json.dumps({
        "epoch": 0, "step": 0, "loss_sum": 0, "seconds": 0, "correct": 0, "seen": 0,
        "best_test_acc": -1, "metrics": []}))


def sweep_spec_seeds():
    # The base inline and narrow models: each accepted spec builds every trial's model.
    base = {"model": "hs_resnet29_cifar", "model_options": {"w0": 1}, "dataset": "fashion-mnist",
            "epochs": 1}
    put("sweep_spec", "grid.json", json.dumps({
        "base": base, "set": {"limit_train": 100},
        "grid": [{"model_options.s": [2, 3], "model_options.ratio": [0.25, 0.5]},
                 {"model": ["resnet20_cifar"], "model_options": [{}]}],
        "seeds": [0, 1], "out": "runs/x"}))
    put("sweep_spec", "random.json", json.dumps({
        "base": base, "random": {"n": 3, "seed": 4, "space": {
            "lr": {"uniform": [0.01, 0.1]}, "model_options.ratio": {"uniform": [0.2, 0.8]},
            "epochs": {"int": [1, 3]}, "model_options.split": {"choice": [[1, 2], [1, 3]]}}}}))


if __name__ == "__main__":
    safetensors_seeds()
    idx_seeds()
    cifar_seeds()
    png_seeds()
    train_config_seeds()
    resume_state_seeds()
    sweep_spec_seeds()
