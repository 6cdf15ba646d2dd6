// Reads the IDX files of (Fashion-)MNIST, gzip-compressed, with zlib.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace fmnist {

struct Idx {
    std::vector<std::uint32_t> dims;
    std::vector<unsigned char> bytes;
};

inline Idx read_idx(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw std::runtime_error("cannot open " + path);
    auto read = [&](void* dst, unsigned n) {
        if (gzread(f, dst, n) != static_cast<int>(n)) {
            gzclose(f);
            throw std::runtime_error("short read in " + path);
        }
    };
    unsigned char magic[4];
    read(magic, 4);
    if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08) {
        gzclose(f);
        throw std::runtime_error(path + " is not an unsigned-byte IDX file");
    }
    Idx idx;
    std::size_t total = 1;
    for (int d = 0; d < magic[3]; ++d) {
        unsigned char b[4];
        read(b, 4);
        idx.dims.push_back(std::uint32_t(b[0]) << 24 | std::uint32_t(b[1]) << 16 | std::uint32_t(b[2]) << 8 | b[3]);
        total *= idx.dims.back();
    }
    idx.bytes.resize(total);
    read(idx.bytes.data(), static_cast<unsigned>(total));
    gzclose(f);
    return idx;
}

}  // namespace fmnist
