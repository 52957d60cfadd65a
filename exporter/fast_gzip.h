// gzip for exposition text, fast: fixed Huffman codes and greedy LZ77 (see fast_gzip.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vitals {

// Replaces `out` with a gzip member (RFC 1952) holding `in`. Never fails.
void fast_gzip(std::string_view in, std::string& out);

// The most bytes fast_gzip can write for `n` input bytes.
size_t fast_gzip_bound(size_t n);

}  // namespace vitals
