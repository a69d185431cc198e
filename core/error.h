#pragma once
// hs::Error is the one exception type of hsnet. HS_CHECK(cond, parts...) throws it with a
// message built by streaming the parts, so a message can name the operation, the shapes
// and the values that were wrong.
#include <sstream>
#include <stdexcept>
#include <string>

namespace hs {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  return os.str();
}
}  // namespace detail

}  // namespace hs

#define HS_CHECK(cond, ...)                                 \
  do {                                                      \
    if (!(cond)) [[unlikely]]                               \
      throw ::hs::Error(::hs::detail::concat(__VA_ARGS__)); \
  } while (0)

#define HS_FAIL(...) throw ::hs::Error(::hs::detail::concat(__VA_ARGS__))
