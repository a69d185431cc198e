#pragma once
// Image folders in the ImageNet / Imagenette layout: DIR/train/<class>/<image> and
// DIR/val/<class>/<image>, JPEG or PNG. The images stay in their files and are decoded by
// the Loader's threads one batch ahead, so a dataset larger than memory trains.
#include <cstdint>
#include <string>

#include "data/augment.h"
#include "data/dataset.h"

namespace hs::data {

// The train (DIR/train) or validation (DIR/val) split of the image folder `dir` as an
// on-disk ImageDataset of 3 x image_size x image_size images. The classes are the sorted
// folder names of DIR/train (both splits, so labels agree); the files of a class are sorted
// by name; names starting with '.' are ignored. A missing split folder, a split without
// images, a val class that train lacks, or a file outside a class folder is an hs::Error
// naming the path. Contents are not read here: a file that is not a valid image is reported
// when the Loader decodes it.
ImageDataset scan_image_folder(const std::string& dir, bool train, std::int64_t image_size);

// Writes image `index` of the on-disk dataset ds as ds.channels x ds.height x ds.width floats
// at `out`: decoded (gray becomes RGB), then with aug.random_resized_crop a random resized
// crop, otherwise the evaluation resize and centre crop, flipped when aug.flip draws so, and
// normalised. Draws from `gen` (crop box, then flip) only for random choices. A file that
// cannot be read or decoded is an hs::Error naming it.
void load_image_sample(const ImageDataset& ds, std::int64_t index, const Augment& aug,
                       Generator& gen, float* out);

}  // namespace hs::data
